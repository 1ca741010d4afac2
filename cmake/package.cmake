# Packaging: `cmake --install build --prefix P` lays out P/bin/songlake,
# P/share/man/man1/songlake.1, the bash and zsh completions and the sample
# under P/share/songlake/ (see src/cli/CMakeLists.txt); `cpack` in the build
# tree (or `cmake --build build --target package`) makes a .deb of the same
# files under /usr, with its dependencies computed by dpkg-shlibdeps from
# the binary when that tool is there, else the Debian 12 names below
# (xxhash is compiled in: XXH_INLINE_ALL).
include(GNUInstallDirs)
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}
  FILES_MATCHING PATTERN "*.md" PATTERN "*.svg")

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "songlake")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "songlake maintainers <songlake@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "Sparkify's raw JSON to a star-schema Parquet data lake (local disk or S3)")
set(CPACK_PACKAGE_DESCRIPTION
  "songlake reads Sparkify's song metadata and event logs (JSON, local or S3)
and publishes the songplays, users, songs, artists and time tables as
partitioned Parquet, as the original PySpark job did, and can load the
same star into PostgreSQL. One C binary; runs under mpirun across hosts.")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "utils")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/")
find_program(SL_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(SL_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  set(sl_deps "libc6 (>= 2.34), libcurl4 (>= 7.74), libexpat1, libsnappy1v5, libzstd1, zlib1g,
libpq5, libinih1")
  if(MPI_C_FOUND)
    string(APPEND sl_deps ", libopenmpi3")
  endif()
  string(REPLACE "\n" " " CPACK_DEBIAN_PACKAGE_DEPENDS "${sl_deps}")
endif()
# man's database and bash-completion find the files where Debian puts them
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "bash-completion, postgresql-client")
include(CPack)

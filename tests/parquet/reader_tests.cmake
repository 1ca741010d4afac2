# parquet reader tests (included by tests/parquet/CMakeLists.txt): unit tests
# test_pqr_*, the pq_dump tool (JSON lines of every value, links only
# sl_parquet + sl_core), interop tests with files DuckDB, arrow-rs and polars
# write, and the libFuzzer target.
set(PQR_DIR ${CMAKE_CURRENT_SOURCE_DIR})

foreach(t thrift decode codecs corrupt roundtrip)
  songlake_unit_test(test_pqr_${t} SOURCES ${PQR_DIR}/test_pqr_${t}.c LIBS sl_parquet sl_core)
  if(TARGET test_pqr_${t})
    target_compile_definitions(test_pqr_${t} PRIVATE PQR_CORPUS="${PQR_DIR}/corpus")
  endif()
endforeach()

add_executable(pq_dump ${PQR_DIR}/pq_dump.c)
target_link_libraries(pq_dump PRIVATE sl_parquet sl_core m)

songlake_node_test(pqr_duckdb_files ${PQR_DIR}/duckdb_files.mjs $<TARGET_FILE:pq_dump>)
songlake_node_test(pqr_other_writers ${PQR_DIR}/pqr_other_writers.mjs $<TARGET_FILE:pq_dump>)

# seeds: small files written by DuckDB (V1/V2, each codec, dictionary on and
# off, a DECIMAL/UINT file and a nested one) and by our writer; each < 4 KB
songlake_fuzz_target(fuzz_pq_reader SOURCES ${PQR_DIR}/fuzz_pq_reader.c LIBS sl_parquet sl_core
  CORPUS ${PQR_DIR}/corpus SECONDS 20)

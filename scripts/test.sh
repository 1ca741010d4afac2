#!/usr/bin/env bash
# The README's second command (and CI's): install everything, then build and
# pass every test: the full suite (unit, end-to-end, interop with DuckDB,
# arrow-rs, polars, hyparquet, S3, PostgreSQL, MPI), the same suite again
# with songlake built with AddressSanitizer + UndefinedBehaviorSanitizer
# (leaks included), and the fuzz targets for a short bounded time.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --test
jobs=$(nproc)

echo "== build (RelWithDebInfo) and full test suite"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSONGLAKE_REQUIRE_TEST_TOOLS=ON >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs" --timeout 900)

echo "== ASan + UBSan build, the same suite"
# Every test but these: e2e_memory measures peak RSS, which ASan's shadow
# memory and quarantine inflate, and e2e_bench times runs (both run in the
# build above); the style checks do not depend on the build; spark_checks
# and delta_readers spend their minutes in the JVM and Python readers (the
# songlake builds they read are covered under ASan by the e2e, delta_lake
# and pg tests); mpi_faults waits out network timeouts (554 s under ASan;
# mpi_hosts and mpi_build run the same code); the *_versitygw twins run the
# songlake code of their s3rver twins against a second server (that server
# is checked in the build above). hostile_* run songlake under memory
# limits (RLIMIT_DATA) that ASan's shadow reservation cannot fit in, and
# e2e_star and delta_lake inject faults with strace, under which
# LeakSanitizer aborts ("does not work under ptrace"). Open MPI's own
# allocations held until exit are suppressed (tests/lsan.supp); the slow
# unwinder gives the full stacks those suppressions need.
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSONGLAKE_SANITIZE=ON -DSONGLAKE_REQUIRE_TEST_TOOLS=ON >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0 \
    LSAN_OPTIONS="suppressions=$PWD/../tests/lsan.supp" \
    ctest --output-on-failure -j"$jobs" --timeout 900 \
      -E '^(e2e_memory|e2e_bench|style_.*|spark_checks|delta_readers|mpi_faults|.*_versitygw|hostile_.*|e2e_star|delta_lake)$')

echo "== libFuzzer targets (clang), bounded time"
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSONGLAKE_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"$jobs"
(cd build-fuzz && ctest --output-on-failure -L fuzz)

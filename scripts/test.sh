#!/usr/bin/env bash
# The README's second command (and CI's): install everything, then build and
# pass every test: the full suite (unit, end-to-end, interop with DuckDB,
# arrow-rs, polars, hyparquet, S3, PostgreSQL, MPI), the unit suite again
# under AddressSanitizer + UndefinedBehaviorSanitizer, and the fuzz targets
# for a short bounded time.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --test
jobs=$(nproc)

echo "== build (RelWithDebInfo) and full test suite"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs" --timeout 900)

echo "== ASan + UBSan build, unit tests"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSONGLAKE_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j"$jobs" -L unit)

echo "== libFuzzer targets (clang), bounded time"
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSONGLAKE_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"$jobs"
(cd build-fuzz && ctest --output-on-failure -L fuzz)

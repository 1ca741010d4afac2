#!/usr/bin/env bash
# The README's first command: install build dependencies, build songlake and
# run the main job on the bundled Sparkify sample, writing ./lake.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target songlake
./build/songlake build --out lake "$@"

#!/usr/bin/env bash
# Installs what songlake needs on Debian 12: build dependencies always,
# test dependencies (servers, clients, clang for fuzzing, npm packages) with
# --test. Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_PKGS="build-essential cmake pkg-config libcurl4-openssl-dev libexpat1-dev libsnappy-dev
  libzstd-dev zlib1g-dev libxxhash-dev libpq-dev libinih-dev libopenmpi-dev openmpi-bin"
TEST_PKGS="libcmocka-dev libjansson-dev clang clang-format zstd libclang-rt-14-dev postgresql awscli strace nodejs npm"

want="$BUILD_PKGS"
[ "${1:-}" = "--test" ] && want="$want $TEST_PKGS"

missing=""
for p in $want; do
  # nodejs/npm may come from elsewhere than Debian (a newer Node on the machine)
  if [ "$p" = nodejs ] && command -v node >/dev/null; then continue; fi
  if [ "$p" = npm ] && command -v npm >/dev/null; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

if [ "${1:-}" = "--test" ]; then
  (cd tests/js && npm ci --no-audit --no-fund --loglevel=error)
fi

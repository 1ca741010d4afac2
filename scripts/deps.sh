#!/usr/bin/env bash
# Installs what songlake needs on Debian 12: build dependencies always,
# test dependencies with --test: Debian packages (servers, clients, clang for
# fuzzing, Java 17 for Spark, faketime), the npm packages of tests/js, the
# Python readers of tests/requirements.txt in a venv, versitygw (the second
# S3 server) built with `go install`, and the Delta jars in an Ivy cache.
# The tools go under $SONGLAKE_TOOLS (default ~/.cache/songlake), outside
# the tree. Safe to run again: everything already there at the pinned
# version is skipped, so a second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS="${SONGLAKE_TOOLS:-$HOME/.cache/songlake}"
VENV="$TOOLS/venv"
VERSITYGW_VERSION=v1.7.0
VERSITYGW="$TOOLS/go/bin/versitygw"
IVY="$TOOLS/ivy"

BUILD_PKGS="build-essential cmake pkg-config libcurl4-openssl-dev libexpat1-dev libsnappy-dev
  libzstd-dev zlib1g-dev libxxhash-dev libpq-dev libinih-dev libopenmpi-dev openmpi-bin"
TEST_PKGS="libcmocka-dev libjansson-dev clang clang-format zstd libclang-rt-14-dev postgresql awscli strace
  nodejs npm python3 python3-venv faketime"

want="$BUILD_PKGS"
[ "${1:-}" = "--test" ] && want="$want $TEST_PKGS"

java_major() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }

missing=""
for p in $want; do
  # nodejs/npm/python3 may come from elsewhere than Debian (newer versions on the machine)
  if [ "$p" = nodejs ] && command -v node >/dev/null; then continue; fi
  if [ "$p" = npm ] && command -v npm >/dev/null; then continue; fi
  if [ "$p" = python3 ] && command -v python3 >/dev/null; then continue; fi
  if [ "$p" = python3-venv ] && python3 -c 'import venv, ensurepip' 2>/dev/null; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# Spark 4.1 runs on Java 17 or later
if [ "${1:-}" = "--test" ]; then
  jm=$(java_major 2>/dev/null || true)
  if [ -z "$jm" ] || [ "$jm" -lt 17 ]; then missing="$missing openjdk-17-jre-headless"; fi
fi
if [ -n "$missing" ]; then
  echo "installing:$missing"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

[ "${1:-}" = "--test" ] || exit 0

(cd tests/js && npm ci --no-audit --no-fund --loglevel=error)

# The Python readers: exactly tests/requirements.txt (every package pinned,
# the resolved dependencies included); reinstalled only when the venv's
# `pip freeze` differs from it.
reqs() { grep -v '^\s*#' tests/requirements.txt | sed '/^\s*$/d' | tr 'A-Z_' 'a-z-' | sort; }
frozen() { "$VENV/bin/python" -m pip freeze 2>/dev/null | tr 'A-Z_' 'a-z-' | sort; }
if [ -x "$VENV/bin/python" ] && [ "$(frozen)" = "$(reqs)" ]; then
  echo "venv: $VENV up to date"
else
  echo "venv: installing tests/requirements.txt into $VENV"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r tests/requirements.txt
  if [ "$(frozen)" != "$(reqs)" ]; then
    echo "deps.sh: $VENV does not match tests/requirements.txt after pip install:" >&2
    diff <(reqs) <(frozen) >&2 || true
    exit 1
  fi
fi

# versitygw, the S3 server that checks SigV4 signatures, built from source by
# the Go on the machine. Its go.mod asks for Go 1.25 (Debian 12's is 1.19);
# GOTOOLCHAIN=local: no toolchain is downloaded behind our back.
gw_version() { go version -m "$VERSITYGW" 2>/dev/null | awk '$1 == "mod" { print $3 }'; }
if command -v go >/dev/null && [ "$(gw_version)" = "$VERSITYGW_VERSION" ]; then
  echo "versitygw: $VERSITYGW $VERSITYGW_VERSION up to date"
elif [ -x "$VERSITYGW" ] && ! command -v go >/dev/null; then
  echo "versitygw: $VERSITYGW present (no go to check its version)"
else
  gover=$(go env GOVERSION 2>/dev/null | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
  if [ -z "$gover" ] || [ "$gover" -lt 25 ]; then
    echo "deps.sh: versitygw $VERSITYGW_VERSION needs Go 1.25 or later in PATH (found: $(go env GOVERSION 2>/dev/null || echo none))" >&2
    exit 1
  fi
  echo "versitygw: go install github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
  GOPATH="$TOOLS/go" GOFLAGS=-modcacherw GOTOOLCHAIN=local \
    go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
  [ "$(gw_version)" = "$VERSITYGW_VERSION" ] || { echo "deps.sh: $VERSITYGW is not $VERSITYGW_VERSION after go install" >&2; exit 1; }
fi

# The Delta jars that Spark's tests load through spark.jars.packages, fetched
# once from Maven Central into the Ivy cache that the tests point Spark at.
if ls "$IVY"/jars/io.delta_delta-spark_*-4.1.0.jar >/dev/null 2>&1; then
  echo "ivy: $IVY has the Delta jars"
else
  echo "ivy: fetching the Delta jars into $IVY"
  SONGLAKE_IVY="$IVY" "$VENV/bin/python" - >"$TOOLS/ivy-fetch.log" 2>&1 <<'EOF' ||
import os
from delta import configure_spark_with_delta_pip
from pyspark.sql import SparkSession
b = (SparkSession.builder.master("local[1]").appName("songlake-deps")
     .config("spark.jars.ivy", os.environ["SONGLAKE_IVY"])
     .config("spark.ui.enabled", "false"))
s = configure_spark_with_delta_pip(b).getOrCreate()
s.range(1).count()
s.stop()
EOF
    { tail -20 "$TOOLS/ivy-fetch.log" >&2; echo "deps.sh: fetching the Delta jars failed (log: $TOOLS/ivy-fetch.log)" >&2; exit 1; }
fi

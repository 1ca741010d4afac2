#!/usr/bin/env bash
# compare-lakes.sh OLD_BIN NEW_BIN: proves that a change did not change what
# `songlake build` writes. Builds the bundled sample and a small generated
# set with both binaries and compares every file of the two lakes by
# sha256; report.json is compared as JSON without the fields that differ
# from run to run (run_id, seconds, options.out). The generated set itself
# is made by both binaries too and must be the same bytes.
#
# Environment: THREADS (default 2), SONGS / EVENTS / DAYS (the generated
# set: 400 / 40000 / 4), KEEP=1 to keep the temporary directory.
# Exit 0: identical; 1: a difference (listed); 2: usage.
set -euo pipefail

if [ $# -ne 2 ] || [ ! -x "$1" ] || [ ! -x "$2" ]; then
    echo "usage: $0 OLD_BIN NEW_BIN (two songlake executables)" >&2
    exit 2
fi
OLD=$(realpath "$1")
NEW=$(realpath "$2")
HERE=$(cd "$(dirname "$0")/.." && pwd)
SAMPLE="$HERE/data/sparkify-sample"
THREADS=${THREADS:-2}
SONGS=${SONGS:-400}
EVENTS=${EVENTS:-40000}
DAYS=${DAYS:-4}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/songlake-compare-XXXXXX")
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$TMP"' EXIT; else echo "keeping $TMP"; fi

# every file below $1 but report.json: "<sha256>  <relative path>"
hashes() {
    (cd "$1" && find . -type f ! -path ./_songlake/report.json -print0 | LC_ALL=C sort -z |
        xargs -0 -r sha256sum)
}

# report.json without run_id, seconds and options.out, keys sorted
report() {
    python3 - "$1" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
r.pop("run_id", None)
r.pop("seconds", None)
r.get("options", {}).pop("out", None)
print(json.dumps(r, indent=1, sort_keys=True))
EOF
}

status=0
# compare_dirs NAME DIR_A DIR_B: every file the same bytes
compare_dirs() {
    local name=$1 a=$2 b=$3
    hashes "$a" >"$TMP/$name.old.sha"
    hashes "$b" >"$TMP/$name.new.sha"
    if diff -u "$TMP/$name.old.sha" "$TMP/$name.new.sha" >"$TMP/$name.diff"; then
        echo "$name: $(wc -l <"$TMP/$name.old.sha") files, all identical"
    else
        echo "$name: DIFFERENT files (- old, + new):"
        grep '^[-+][0-9a-f]' "$TMP/$name.diff" | sed 's/^/  /'
        status=1
    fi
}

# build_both NAME SONGS_DIR LOGS_DIR
build_both() {
    local name=$1 songs=$2 logs=$3 which bin
    for which in old new; do
        bin=$OLD
        [ $which = new ] && bin=$NEW
        "$bin" build --songs "$songs" --logs "$logs" --out "$TMP/$name-$which" \
            --threads "$THREADS" --quiet
    done
    compare_dirs "$name lake" "$TMP/$name-old" "$TMP/$name-new"
    if diff -u <(report "$TMP/$name-old/_songlake/report.json") \
        <(report "$TMP/$name-new/_songlake/report.json") >"$TMP/$name.report.diff"; then
        echo "$name report.json: identical but for run_id, seconds, options.out"
    else
        echo "$name report.json: DIFFERENT:"
        sed 's/^/  /' "$TMP/$name.report.diff"
        status=1
    fi
}

build_both sample "$SAMPLE/song_data" "$SAMPLE/log_data"

gen=(--songs "$SONGS" --events "$EVENTS" --days "$DAYS" --seed 7 --quiet)
"$OLD" generate --out "$TMP/gen-old" "${gen[@]}"
"$NEW" generate --out "$TMP/gen-new" "${gen[@]}"
compare_dirs "generated input" "$TMP/gen-old" "$TMP/gen-new"
build_both generated "$TMP/gen-old/song_data" "$TMP/gen-old/log_data"

[ $status = 0 ] && echo "same lakes" || echo "the lakes differ"
exit $status

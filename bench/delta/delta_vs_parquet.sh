#!/bin/sh
# --format delta against --format parquet on generated data, alternating
# the two in the same session (SPEC section 6: delta costs at most 5%).
# Each format rebuilds its own lake every round, as a nightly job does:
# parquet replaces its previous tables (and deletes them), delta commits one
# more version per table (and deletes nothing). Prints each run's wall
# seconds, the medians and delta/parquet. With FRESH=1 every run writes a
# new lake instead (removed untimed before it): the log's own cost, with no
# old tables to replace.
#
#   [FRESH=1] bench/delta/delta_vs_parquet.sh BUILD_DIR [sizes: s,m] [rounds: 5]
set -eu
bin=${1:?usage: $0 BUILD_DIR [sizes] [rounds]}/songlake
sizes=${2:-s,m}
rounds=${3:-5}
work=${SONGLAKE_BENCH_DIR:-/tmp/songlake-bench-delta}
mkdir -p "$work"
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
secs() { # wall seconds of one build
  s=$(date +%s.%N); "$bin" build --quiet "$@"; e=$(date +%s.%N)
  echo "$s $e" | awk '{printf "%.3f\n", $2 - $1}'
}
for size in $(echo "$sizes" | tr , ' '); do
  case $size in
  s) songs=2000 events=220000 ;;
  m) songs=6000 events=870000 ;;
  l) songs=15000 events=2400000 ;;
  *) echo "unknown size $size" >&2; exit 2 ;;
  esac
  in=$work/in-$size
  [ -d "$in/log_data" ] || "$bin" generate --quiet --out "$in" --songs $songs --events $events
  rm -rf "$work/p-$size" "$work/d-$size"
  # one warm-up each (first version, page cache)
  secs --songs "$in/song_data" --logs "$in/log_data" --out "$work/p-$size" >/dev/null
  secs --format delta --songs "$in/song_data" --logs "$in/log_data" --out "$work/d-$size" >/dev/null
  : >"$work/p.txt"; : >"$work/d.txt"
  r=0
  while [ $r -lt "$rounds" ]; do
    [ "${FRESH:-0}" = 1 ] && rm -rf "$work/p-$size" "$work/d-$size"
    secs --songs "$in/song_data" --logs "$in/log_data" --out "$work/p-$size" >>"$work/p.txt"
    secs --format delta --songs "$in/song_data" --logs "$in/log_data" --out "$work/d-$size" >>"$work/d.txt"
    r=$((r + 1))
  done
  p=$(median <"$work/p.txt"); d=$(median <"$work/d.txt")
  echo "$size: parquet $(tr '\n' ' ' <"$work/p.txt")| delta $(tr '\n' ' ' <"$work/d.txt")"
  echo "$size: median parquet $p s, delta $d s, delta/parquet $(echo "$d $p" | awk '{printf "%.3f", $1 / $2}')"
  du -s "$work/d-$size"/*/_delta_log | awk '{s += $1} END {print "'"$size"': _delta_log of all tables after the runs: " s " KiB"}'
  rm -rf "$work/p-$size" "$work/d-$size"
done

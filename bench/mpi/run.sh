#!/usr/bin/env bash
# Scaling of `songlake build` under MPI: wall seconds (median of RUNS) and
# the phase split from report.json, for one process with 1 and T threads and
# for mpirun with each rank count in RANKS, on the same data, outputs on
# tmpfs (set OUT_ROOT) so the disk does not blur the engine's scaling.
#
#   bench/mpi/run.sh DATA_DIR [RANKS="1 2"] [THREADS=2] [RUNS=3]
# DATA_DIR holds song_data/ and log_data/ (songlake generate). On a cluster
# add a hostfile through MPIRUN_ARGS="--hostfile hosts" and use a shared OUT_ROOT.
set -euo pipefail
data=${1:?usage: bench/mpi/run.sh DATA_DIR [RANKS] [THREADS] [RUNS]}
ranks=${2:-"1 2"}
threads=${3:-2}
runs=${4:-3}
bin=${SONGLAKE_BIN:-$(dirname "$0")/../../build/songlake}
out_root=${OUT_ROOT:-/dev/shm}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

measure() { # label, command...
  local label=$1; shift
  local walls=() out="$out_root/songlake-mpi-bench"
  for _ in $(seq "$runs"); do
    rm -rf "$out"
    local s e
    s=$(date +%s.%N)
    "$@" --songs "$data/song_data" --logs "$data/log_data" --out "$out" --quiet
    e=$(date +%s.%N)
    walls+=("$(echo "$e - $s" | bc)")
  done
  local med
  med=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  local ph
  ph=$(python3 -c "import json,sys; d=json.load(open('$out/_songlake/report.json'))['seconds']; print('%.2f | %.2f | %.2f' % (d['songs'], d['events'], d['finish']))")
  printf '| %s | %.2f | %s | %s |\n' "$label" "$med" "$(printf '%.2f ' "${walls[@]}")" "$ph"
  rm -rf "$out"
}

echo "| configuration | wall s (median) | runs | songs s | events s | finish s |"
echo "|---|---:|---|---:|---:|---:|"
measure "1 process, --threads 1" "$bin" build --threads 1
measure "1 process, --threads $threads" "$bin" build --threads "$threads"
for n in $ranks; do
  # --bind-to none: Open MPI binds each rank to one core by default (np <= 2),
  # which would put a rank's worker and merge threads on one core
  measure "mpirun -np $n, --threads 1" mpirun ${MPIRUN_ARGS:-} --bind-to none --oversubscribe -np "$n" "$bin" build --threads 1
done

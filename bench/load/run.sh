#!/usr/bin/env bash
# One headless run of the load suite against a running `hub serve`, with what it cost:
# /metrics scraped before and after, and the CPU time of the load generator, of the hub's
# processes (the `hub serve` process given and all its descendants) and of the PostgreSQL
# backends of the hub's database.
#
#   bench/load/run.sh HOST SERVE_PID DATABASE [USERS] [SECONDS] [OUT]
#   bench/load/run.sh http://127.0.0.1:18500 "$(cat serve.pid)" hub_load 100 60 /tmp/hub-load
#
# LOCUST (default: locust on the PATH) is the command of a virtualenv with the `load` extra.
set -euo pipefail
host=$1 serve_pid=$2 database=$3 users=${4:-100} seconds=${5:-60} out=${6:-/tmp/hub-load}
locust=${LOCUST:-locust}
here=$(cd "$(dirname "$0")" && pwd)
ticks=$(getconf CLK_TCK)

descendants() { local p; for p in $(pgrep -P "$1" || true); do echo "$p"; descendants "$p"; done; }
postgres_backends() {
  psql -h 127.0.0.1 -U postgres -Atc \
    "SELECT pid FROM pg_stat_activity WHERE datname = '$database'" postgres || true
}
cpu_seconds() {  # user+system seconds of the pids on stdin (those still alive)
  local total=0 p
  while read -r p; do
    [ -r "/proc/$p/stat" ] || continue
    total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "scale=1; $total / $ticks" | bc
}

mkdir -p "$(dirname "$out")"
curl -sf "$host/metrics" > "$out.metrics-before"
hub_pids=$( (echo "$serve_pid"; descendants "$serve_pid") )
hub_before=$(echo "$hub_pids" | cpu_seconds)
pg_before=$(postgres_backends | cpu_seconds)
load_before=$(cut -d' ' -f1 /proc/loadavg)
started=$(date +%s.%N)
/usr/bin/time -f "%U %S %e" -o "$out.locust-time" \
  "$locust" -f "$here/locustfile.py" --host "$host" --headless -u "$users" -r 20 \
  -t "${seconds}s" --csv "$out" --only-summary > "$out.locust-log" 2>&1 || true
wall=$(echo "$(date +%s.%N) - $started" | bc)
hub_after=$(echo "$hub_pids" | cpu_seconds)
pg_after=$(postgres_backends | cpu_seconds)
curl -sf "$host/metrics" > "$out.metrics-after"
read -r lu ls le < <(tail -n 1 "$out.locust-time")
cores=$(nproc)
{
  echo "wall ${wall}s on $cores cores; load average before ${load_before}, after $(cut -d' ' -f1 /proc/loadavg)"
  echo "locust CPU $(echo "$lu + $ls" | bc) s = $(echo "scale=1; 100 * ($lu + $ls) / $le" | bc)% of one core"
  echo "hub processes CPU $(echo "$hub_after - $hub_before" | bc) s"
  echo "postgres backends CPU (those alive at the end) $(echo "$pg_after - $pg_before" | bc) s"
} | tee "$out.cpu"
tail -n 60 "$out.locust-log"

#!/usr/bin/env bash
# The HTTP service under load from wrk (Debian's `wrk`: C, two threads, little CPU of its own, so the two cores
# go to the server rather than to the clients as with benches/serve_load.py's Python processes): serve a state
# on a free 127.0.0.1 port, warm up for 5 s, measure for SECONDS with CONNECTIONS concurrent keep-alive
# connections, print the server's CPU time per request and its peak RSS, stop it with SIGTERM.
#
# usage: [BIN=path] benches/serve_wrk.sh STATE QUERIES.csv [CONNECTIONS=8] [SECONDS=20]
# A 1M-card state:  firmdedup synth --cards 1000000 --seed 3 --out D --queries 1000 --formats canonical
#                   firmdedup dedup D/crm.csv --state S.db --out O
set -euo pipefail
cd "$(dirname "$0")/.."
state=$1 queries=$2 conns=${3:-8} secs=${4:-20}
command -v wrk >/dev/null || { echo "serve_wrk.sh: needs wrk (apt-get install wrk)" >&2; exit 1; }
# BIN=path measures another build (an A/B comparison in one sitting: the machine's speed drifts).
if [ -n "${BIN:-}" ]; then bin=$BIN; else cargo build --release --locked -q; bin=target/release/firmdedup; fi
log=$(mktemp) paths=$(mktemp)
python3 - "$queries" >"$paths" <<'PY'
import csv, sys, urllib.parse
FIELDS = ["name", "inn", "phone", "email", "website", "brand", "contact"]
for row in csv.DictReader(open(sys.argv[1], encoding="utf-8")):
    params = [(k, row[k]) for k in FIELDS if row.get(k, "").strip()] + [("manager", "manager01")]
    print("/api/check?" + urllib.parse.urlencode(params))
PY
"$bin" serve --state "$state" --listen 127.0.0.1:0 2>"$log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; rm -f "$log" "$paths"' EXIT
# Listening, and the names read into memory (the answers before that come from the file).
for _ in $(seq 600); do grep -q "listening on" "$log" && grep -q "in memory" "$log" && break; sleep 0.1; done
addr=$(grep -o 'listening on http://[0-9.:]*' "$log" | head -1 | sed 's|listening on http://||')
case $addr in 127.0.0.1:*) ;; *) echo "serve_wrk.sh: only 127.0.0.1 is benchmarked" >&2; exit 1 ;; esac
grep "in memory" "$log" >&2
PATHS=$paths wrk -t2 -c"$conns" -d5s -s benches/serve_wrk.lua "http://$addr" >/dev/null
cpu0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
PATHS=$paths wrk -t2 -c"$conns" -d"${secs}s" -s benches/serve_wrk.lua "http://$addr" | tail -1 | tee "$log.out"
cpu1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
n=$(grep -o '^requests [0-9]*' "$log.out" | awk '{print $2}')
ticks=$(getconf CLK_TCK)
echo "server CPU per request: $(python3 -c "print(round(($cpu1 - $cpu0) / $ticks * 1000 / $n, 3))") ms" >&2
echo "server peak RSS: $(grep VmHWM /proc/$pid/status | awk '{print $2/1024 " MB"}')" >&2
rm -f "$log.out"
kill -TERM $pid
wait $pid || true
grep "stopped" "$log" >&2 || true

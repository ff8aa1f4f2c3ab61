#!/usr/bin/env bash
# The HTTP service under load: serve a state on a free 127.0.0.1 port, warm it up, run benches/serve_load.py
# (8 concurrent clients by default), then read the server's peak RSS and stop it with SIGTERM.
#
# usage: benches/serve_bench.sh STATE QUERIES.csv [CLIENTS=8] [REQUESTS=20000]
# A 1M-card state:  firmdedup synth --cards 1000000 --seed 3 --out D --queries 1000
#                   firmdedup dedup D/crm.csv --state S.db --out O
set -euo pipefail
cd "$(dirname "$0")/.."
state=$1 queries=$2 clients=${3:-8} requests=${4:-20000}
cargo build --release --locked -q
bin=target/release/firmdedup
log=$(mktemp)
"$bin" serve --state "$state" --listen 127.0.0.1:0 2>"$log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; rm -f "$log"' EXIT
# Listening, and the names read into memory (the answers before that come from the file, slower).
for _ in $(seq 600); do grep -q "listening on" "$log" && grep -q "in memory" "$log" && break; sleep 0.1; done
addr=$(grep -o 'listening on http://[0-9.:]*' "$log" | head -1 | sed 's|listening on http://||')
echo "server $pid on $addr; RSS after start: $(grep VmRSS /proc/$pid/status | awk '{print $2/1024 " MB"}')" >&2
# Warm-up: every question once (page cache of the state, prepared statements), not measured.
python3 benches/serve_load.py "$addr" "$queries" "$clients" "$(wc -l < "$queries")" >/dev/null
python3 benches/serve_load.py "$addr" "$queries" "$clients" "$requests"
echo "server peak RSS: $(grep VmHWM /proc/$pid/status | awk '{print $2/1024 " MB"}')" >&2
# The state is memory-mapped by each of the server's connections: a page of the file counts in RSS once per
# connection that touched it, though it is one page of the OS page cache. The server's own memory is RssAnon.
echo "server RSS now: $(grep -E 'RssAnon|RssFile' /proc/$pid/status | awk '{printf "%s %.0f MB  ", $1, $2/1024}')" >&2
kill -TERM $pid
wait $pid || true
echo "access-log lines: $(grep -c ' GET /api/check ' "$log")" >&2

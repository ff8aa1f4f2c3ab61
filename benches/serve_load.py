#!/usr/bin/env python3
"""Load on a running `firmdedup serve`: C concurrent clients (processes, one keep-alive connection each) ask
/api/check with the questions of a queries.csv (from `firmdedup synth --queries`) until N requests are answered.
Only 127.0.0.1 is accepted.

usage: serve_load.py HOST:PORT QUERIES.csv [CLIENTS=8] [REQUESTS=20000]
  -> one JSON object: requests, answers by HTTP status (400: the check refused a value, as `check` does),
     wall_s, rps, p50/p90/p99/max latency in ms
"""
import csv
import http.client
import json
import multiprocessing as mp
import sys
import time
import urllib.parse

FIELDS = ["name", "inn", "phone", "email", "website", "brand", "contact"]


def client(args):
    host, port, paths, n = args
    conn = http.client.HTTPConnection(host, port, timeout=30)
    times, statuses = [], {}
    for i in range(n):
        path = paths[i % len(paths)]
        t = time.perf_counter()
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        times.append((time.perf_counter() - t) * 1000)
        statuses[r.status] = statuses.get(r.status, 0) + 1
    conn.close()
    return times, statuses


def main():
    addr, queries = sys.argv[1], sys.argv[2]
    clients = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    total = int(sys.argv[4]) if len(sys.argv) > 4 else 20000
    host, port = addr.rsplit(":", 1)
    if host != "127.0.0.1":
        sys.exit("serve_load.py: only 127.0.0.1 is benchmarked")
    paths = []
    with open(queries, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            params = [(k, row[k]) for k in FIELDS if row.get(k, "").strip()]
            params.append(("manager", "manager01"))
            paths.append("/api/check?" + urllib.parse.urlencode(params))
    per = total // clients
    # Each client starts at a different place in the questions.
    jobs = [(host, int(port), paths[i * len(paths) // clients:] + paths[:i * len(paths) // clients], per)
            for i in range(clients)]
    t = time.perf_counter()
    with mp.Pool(clients) as pool:
        results = pool.map(client, jobs)
    wall = time.perf_counter() - t
    times = sorted(x for ts, _ in results for x in ts)
    statuses = {}
    for _, st in results:
        for k, v in st.items():
            statuses[str(k)] = statuses.get(str(k), 0) + v
    q = lambda p: times[min(len(times) - 1, int(len(times) * p))]
    print(json.dumps({"clients": clients, "requests": len(times), "statuses": statuses, "wall_s": round(wall, 2),
                      "rps": round(len(times) / wall, 1), "p50_ms": round(q(0.50), 3), "p90_ms": round(q(0.90), 3),
                      "p99_ms": round(q(0.99), 3), "max_ms": round(times[-1], 3)}))


if __name__ == "__main__":
    main()

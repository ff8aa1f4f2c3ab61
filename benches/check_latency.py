#!/usr/bin/env python3
"""Latency of `firmdedup check` from process start, as a CRM integration calls it: one process per query.

usage: check_latency.py BIN STATE QUERIES.csv [LIMIT]   -> one JSON object (mean, p50, p95, max in ms)
"""
import csv
import json
import subprocess
import sys
import time

bin, state, queries = sys.argv[1], sys.argv[2], sys.argv[3]
limit = int(sys.argv[4]) if len(sys.argv) > 4 else 300
flags = [("name", "--name"), ("inn", "--inn"), ("phone", "--phone"), ("email", "--email"),
         ("website", "--website"), ("brand", "--brand"), ("contact", "--contact")]
times = []
with open(queries, encoding="utf-8") as f:
    for row in list(csv.DictReader(f))[:limit]:
        args = [bin, "check", "--state", state, "--json", "--manager", "manager01"]
        for key, flag in flags:
            if row[key].strip():
                args += [flag, row[key]]
        t = time.perf_counter()
        subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - t) * 1000)
times.sort()
print(json.dumps({"queries": len(times), "mean_ms": sum(times) / len(times), "p50_ms": times[len(times) // 2],
                  "p95_ms": times[int(len(times) * 0.95)], "max_ms": times[-1]}))

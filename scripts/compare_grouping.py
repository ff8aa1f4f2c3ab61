#!/usr/bin/env python3
"""Compares a dedup output (cards.csv) with an expected grouping (id, entity, firm): lists the groups that differ.
Usage: scripts/compare_grouping.py expected.csv out/cards.csv"""
import csv, sys
from collections import defaultdict

exp = {r["id"]: r for r in csv.DictReader(open(sys.argv[1]))}
got = {r["id"]: r for r in csv.DictReader(open(sys.argv[2]))}
bad = 0
for level, ek, gk in [("entity", "entity", "entity_id"), ("firm", "firm", "firm_id")]:
    e2g = defaultdict(set); g2e = defaultdict(set)
    for i, r in exp.items():
        e2g[r[ek]].add(got[i][gk]); g2e[got[i][gk]].add(r[ek])
    for e, gs in sorted(e2g.items()):
        if len(gs) > 1:
            bad += 1
            print(f"{level} SPLIT: expected {e} is in {sorted(gs)}: " + ", ".join(f"{i}({got[i]['name']})->{got[i][gk]}" for i in exp if exp[i][ek] == e))
    for g, es in sorted(g2e.items()):
        if len(es) > 1:
            bad += 1
            print(f"{level} MERGE: {g} holds expected {sorted(es)}: " + ", ".join(f"{i}({got[i]['name']})" for i in got if got[i][gk] == g))
print("differences:", bad)
sys.exit(1 if bad else 0)

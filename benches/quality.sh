#!/usr/bin/env bash
# Matching quality on every generator profile: for each profile, `firmdedup synth --profile P`, `dedup`, `eval`;
# prints one row per profile (entity and firm pairwise F1 / precision, largest firm) and the worst profile.
# Judge a change by the worst row, not by the default one.
#
#   bash benches/quality.sh                 # 10k cards, seed 3, every profile
#   SIZES="10000 100000" bash benches/quality.sh
#   DEDUP_BIN=/tmp/old-firmdedup bash benches/quality.sh   # score another build's dedup on the same bases
#
# Not part of the test suite. Needs python3.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${SIZES:-10000}
seed=${SEED:-3}
profiles=${PROFILES:-"default sparse spelling people agency hub random"}
work=${WORK:-$(mktemp -d /tmp/firmdedup-quality.XXXXXX)}
mkdir -p "$work"
[ -n "${BIN:-}" ] || { cargo build --release --locked -q; BIN="$(pwd)/target/release/firmdedup"; }
dedup_bin=${DEDUP_BIN:-$BIN}
printf "%-9s %8s | %-22s | %-22s | %s\n" profile cards "entity F1 (P / R)" "firm F1 (P / R)" "largest firm (truth)"
rows="$work/rows.tsv"
: >"$rows"
for n in $sizes; do
    for p in $profiles; do
        d="$work/$p-$n"
        mkdir -p "$d"
        "$BIN" synth --profile "$p" --cards "$n" --seed "$seed" --out "$d" --formats canonical -q
        "$dedup_bin" dedup "$d/crm.csv" --out "$d/out" -q
        "$BIN" eval --truth "$d/truth.csv" --pred "$d/out" --json --worst 0 >"$d/eval.json"
        python3 - "$p" "$n" "$d" "$rows" <<'PY'
import csv, json, sys, collections
p, n, d, rows = sys.argv[1:5]
ev = json.load(open(f"{d}/eval.json"))
lv = {l["level"]: l["pairwise"] for l in ev["levels"]}
def size(path, col):
    c = collections.Counter(r[col] for r in csv.DictReader(open(path, encoding="utf-8-sig")))
    return max(c.values())
big, tbig = size(f"{d}/out/cards.csv", "firm_id"), size(f"{d}/truth.csv", "firm_id")
e, f = lv["entity"], lv["firm"]
print(f"{p:<9} {n:>8} | {e['f1']:.3f} ({e['precision']:.3f} / {e['recall']:.3f}) | "
      f"{f['f1']:.3f} ({f['precision']:.3f} / {f['recall']:.3f}) | {big} ({tbig})")
open(rows, "a").write(f"{p}\t{n}\t{e['f1']}\t{f['f1']}\t{f['precision']}\n")
PY
    done
done
python3 - "$rows" <<'PY'
import sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines()]
for key, i in (("entity F1", 2), ("firm F1", 3), ("firm precision", 4)):
    w = min(rows, key=lambda r: float(r[i]))
    print(f"worst {key}: {float(w[i]):.3f} ({w[0]}, {w[1]} cards)")
PY

#!/usr/bin/env bash
# End-to-end benchmark: builds release, generates labelled synthetic bases, runs the batch job, the nightly
# (stateful) job and the managers' check on each, and writes the figures into BENCHMARKS.md (between the
# e2e markers) and benches/results/e2e-<cards>.json, one record per size. The table shows every size that has a
# record, so a run at one size updates its row and keeps the others (each row names its commit).
#
#   bash benches/e2e.sh                     # 10k, 100k and 1M cards (about 10 minutes on 2 cores)
#   bash benches/e2e.sh 10000               # one size (CI-sized smoke test)
#   SEED=3 WORK=/tmp/e2e bash benches/e2e.sh 100000 1000000
#
# Not part of the test suite. Needs /usr/bin/time (GNU time) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000 1000000)
seed=${SEED:-3}
work=${WORK:-$(mktemp -d /tmp/firmdedup-e2e.XXXXXX)}
check_queries=${CHECK_QUERIES:-300}
mkdir -p "$work" benches/results
[ -x /usr/bin/time ] || { echo "e2e: /usr/bin/time (GNU time) is needed: apt-get install time" >&2; exit 1; }

echo "== build (release)" >&2
cargo build --release --locked -q
bin="$root/target/release/firmdedup"

# Runs a command under GNU time; prints "wall_seconds peak_rss_kb" on stdout.
timed() {
    local log
    log=$(mktemp)
    /usr/bin/time -v -o "$log" "$@" >/dev/null
    python3 - "$log" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
w = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1).split(":")
secs = sum(float(x) * 60 ** i for i, x in enumerate(reversed(w)))
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
print(f"{secs:.2f} {rss}")
PY
    rm -f "$log"
}

results="$work/results.jsonl"
: >"$results"
for n in "${sizes[@]}"; do
    d="$work/$n"
    rm -rf "$d"
    mkdir -p "$d"
    echo "== $n cards (seed $seed) in $d" >&2
    read -r synth_s synth_kb < <(timed "$bin" synth --cards "$n" --seed "$seed" --out "$d" --queries 1000 -q)
    read -r batch_s batch_kb < <(timed "$bin" dedup "$d/crm.csv" --out "$d/batch" -q)
    "$bin" eval --truth "$d/truth.csv" --pred "$d/batch" --json --worst 0 >"$d/eval.json"
    read -r bitrix_s bitrix_kb < <(timed "$bin" dedup "$d/crm_bitrix_1251.csv" --out "$d/bitrix" -q)
    read -r state1_s state1_kb < <(timed "$bin" dedup "$d/crm.csv" --state "$d/state.db" --out "$d/night1" -q)
    read -r state2_s state2_kb < <(timed "$bin" dedup "$d/crm.csv" --state "$d/state.db" --out "$d/night2" -q)
    state_bytes=$(stat -c %s "$d/state.db")
    "$bin" check --state "$d/state.db" --queries "$d/queries.csv" --json >"$d/check_eval.json"
    # Latency of the check from process start, as a CRM integration calls it: one process per query.
    python3 benches/check_latency.py "$bin" "$d/state.db" "$d/queries.csv" "$check_queries" >"$d/check_latency.json"
    python3 - "$n" "$d" >>"$results" <<PY
import json, sys
n, d = int(sys.argv[1]), sys.argv[2]
ev = json.load(open(f"{d}/eval.json"))
levels = {l["level"]: l for l in ev["levels"]}
print(json.dumps({
    "cards": n, "seed": $seed,
    "commit": "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src Cargo.toml Cargo.lock || echo +changes)",
    "synth_s": $synth_s, "batch_s": $batch_s, "batch_rss_mb": $batch_kb / 1024,
    "bitrix_s": $bitrix_s, "bitrix_rss_mb": $bitrix_kb / 1024,
    "nightly_first_s": $state1_s, "nightly_first_rss_mb": $state1_kb / 1024,
    "nightly_rerun_s": $state2_s, "nightly_rerun_rss_mb": $state2_kb / 1024,
    "state_mb": $state_bytes / 1e6,
    "entity": levels["entity"], "firm": levels["firm"],
    "check": json.load(open(f"{d}/check_eval.json")),
    "check_latency": json.load(open(f"{d}/check_latency.json")),
}))
PY
    tail -n 1 "$results" | python3 -c 'import json,sys; r=json.load(sys.stdin); e=r["entity"]["pairwise"]["f1"]; f=r["firm"]["pairwise"]["f1"]; print("   batch %s s, %.0f MB; entity F1 %.4f; firm F1 %.4f" % (r["batch_s"], r["batch_rss_mb"], e, f), file=sys.stderr)'
done

python3 - "$results" <<'PY'
import glob, json, os, platform, re, subprocess, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    with open(f"benches/results/e2e-{r['cards']}.json", "w") as f:
        json.dump(r, f, indent=1, sort_keys=True)
        f.write("\n")
rows = sorted((json.load(open(p)) for p in glob.glob("benches/results/e2e-*.json")), key=lambda r: r["cards"])
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = int(re.search(r"MemTotal:\s+(\d+)", open("/proc/meminfo").read()).group(1)) / 1024 / 1024
rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
f = lambda x: f"{x:.4f}"
out = [
    f"Machine: {os.cpu_count()} cores ({cpu}), {mem:.0f} GB RAM, {platform.system()} {platform.release()}; {rustc}.",
    "",
    "| cards | commit | seed | synth s | dedup s | peak RSS MB | bitrix-1251 dedup s | nightly 1st s | nightly re-run s | nightly RSS MB | state MB |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
]
for r in rows:
    out.append(f"| {r['cards']:,} | {r.get('commit', '?')} | {r['seed']} | {r['synth_s']:.1f} | {r['batch_s']:.1f} | {r['batch_rss_mb']:.0f} | {r['bitrix_s']:.1f} | "
               f"{r['nightly_first_s']:.1f} | {r['nightly_rerun_s']:.1f} | {max(r['nightly_first_rss_mb'], r['nightly_rerun_rss_mb']):.0f} | {r['state_mb']:.0f} |")
out += ["", "Matching quality (pairwise, from contingency counts; the ceiling is what the cards make recoverable at all):", "",
        "| cards | level | precision | recall | F1 | ceiling F1 | B³ F1 | true groups | found groups |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
for r in rows:
    for lv in ("entity", "firm"):
        l = r[lv]
        out.append(f"| {r['cards']:,} | {lv} | {f(l['pairwise']['precision'])} | {f(l['pairwise']['recall'])} | "
                   f"{f(l['pairwise']['f1'])} | {f(l['ceiling']['f1'])} | {f(l['bcubed']['f1'])} | {l['truth_clusters']:,} | {l['predicted_clusters']:,} |")
out += ["", "Managers' check (`check --queries`, 1000 generated queries; latency from process start, one process per query):", "",
        "| cards | existing: right firm first | of them fitting only their firm: right first | fitting other firms too: right listed | new: not found | invalid ИНН refused | in-process mean ms | process mean ms | p95 ms | max ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
for r in rows:
    c, l = r["check"], r["check_latency"]
    out.append(f"| {r['cards']:,} | {c['existing_right_first_rate']*100:.1f}% ({c['existing_right_first']}/{c['existing']}) | "
               f"{c['identifiable_right_first_rate']*100:.1f}% ({c['identifiable_right_first']}/{c['identifiable']}) | {c['ambiguous_listed']}/{c['ambiguous']} | "
               f"{c['new_not_found_rate']*100:.1f}% ({c['new_not_found']}/{c['new']}) | {c['errors']} | {c['mean_ms']:.2f} | "
               f"{l['mean_ms']:.1f} | {l['p95_ms']:.1f} | {l['max_ms']:.1f} |")
block = "\n".join(out)
path = "BENCHMARKS.md"
text = open(path).read() if os.path.exists(path) else "# Benchmarks\n\n<!-- e2e:begin -->\n<!-- e2e:end -->\n"
begin, end = "<!-- e2e:begin -->", "<!-- e2e:end -->"
if begin not in text:
    text += f"\n{begin}\n{end}\n"
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
open(path, "w").write(f"{head}{begin}\n{block}\n{end}{tail}")
print(block)
PY
echo "e2e: results in $work and BENCHMARKS.md" >&2

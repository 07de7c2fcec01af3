#!/usr/bin/env python3
"""Does a subject that returns after weeks away rejoin the theme it was born as?

Fits a model on Reuters 1987-W10 without TOPIC (k = 20), updates it with W12 (where TOPIC is
new: a theme may be born), then W13 and W14 without TOPIC, then W15 with the TOPIC articles of
W13-W14 dated into it (the subject returns). Prints where TOPIC's articles went in W12 and in
the return week: the theme born for it, other themes, a second new theme, or unassigned.

    python3 bench/returning_story.py TIDINGS_BIN WORK_DIR gold [REUTERS]
"""
import json, gzip, datetime, subprocess, sys, os, collections
import pyarrow.parquet as pq
T, D, topic = sys.argv[1], sys.argv[2], sys.argv[3]
REUTERS = sys.argv[4] if len(sys.argv) > 4 else os.path.join(os.path.dirname(__file__), '..', '..', 'shared', 'data', 'reuters21578.jsonl.gz')
os.makedirs(D, exist_ok=True)
rows = [json.loads(l) for l in gzip.open(REUTERS, 'rt')]
def wk(r):
    if not r.get('date'): return None
    k = datetime.date.fromisoformat(r['date'][:10]).isocalendar(); return f"{k[0]}-W{k[1]:02d}"
def write(name, rs):
    p = f"{D}/{name}.jsonl"
    with open(p, 'w') as f:
        for r in rs: f.write(json.dumps(r) + "\n")
    return p
lab = lambda r: r.get('label')
fit = write("fit", [r for r in rows if wk(r) == "1987-W10" and lab(r) != topic])
a = write("a", [r for r in rows if wk(r) == "1987-W12"])
gap = [write(f"g{w}", [r for r in rows if wk(r) == w and lab(r) != topic]) for w in ("1987-W13", "1987-W14")]
back = [dict(r, date="1987-04-07") for r in rows if wk(r) in ("1987-W13", "1987-W14") and lab(r) == topic]
c = write("c", [r for r in rows if wk(r) == "1987-W15"] + back)
m = f"{D}/m.model"
def run(*args):
    o = subprocess.run([T, *args, "--quiet"], capture_output=True, text=True)
    if o.returncode: print(o.stderr); sys.exit(1)
run("fit", fit, "--k", "20", "--model", m, "--out", f"{D}/o-fit")
for i, p in enumerate([a] + gap + [c]):
    run("update", p, "--model", m, "--out", f"{D}/o-{i}")
for i in (0, 3):
    art = pq.read_table(f"{D}/o-{i}/articles.parquet", columns=["label", "theme_id", "theme_label"]).to_pylist()
    cnt = collections.Counter((x["theme_id"], x["theme_label"]) for x in art if x["label"] == topic)
    th = pq.read_table(f"{D}/o-{i}/themes.parquet", columns=["theme_id", "name", "born", "size"]).to_pylist()
    born = [(t["theme_id"], t["name"], t["size"], t["born"]) for t in th if t["born"] and t["born"] not in ("1987-W10",)]
    print("week", "A" if i == 0 else "C", topic, sum(cnt.values()), dict(cnt.most_common()), "\n   born:", born)

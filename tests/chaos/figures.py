#!/usr/bin/env python3
"""The chaos suite's figures: for every fault in faults.tsv (kind, start ms, end ms) and every
till attempt in events-*.tsv (sent ms, HTTP status, latency ms, sentence flag), how coupond
answered during the fault and how long it took to answer again after it:
  recovery  = first definitive answer (HTTP 2xx-4xx) that ends after the fault ended, minus
              the fault's end (coupond restarted / PostgreSQL up again / thawed / space back)
  outage    = the same answer minus the fault's start
During freeze and diskfull, every 5xx must be a 503 with an error code and a sentence, and
(freeze) every answer arrive within the statement deadline plus 1 s; a 500 anywhere fails the run.
Usage: figures.py OUT_DIR FORM DEADLINE_MS  (prints markdown; exits 1 on a failed bar)"""
import glob
import os
import statistics
import sys

out, form, deadline = sys.argv[1], sys.argv[2], int(sys.argv[3])
events = []
for path in glob.glob(os.path.join(out, "events-*.tsv")):
    with open(path) as f:
        for line in f:
            p = line.split("\t")
            if len(p) == 4:
                sent, status, lat, sentence = float(p[0]), int(p[1]), float(p[2]), int(p[3])
                events.append((sent, sent + lat, status, lat, sentence))
events.sort()
faults = []
with open(os.path.join(out, "faults.tsv")) as f:
    for line in f:
        kind, start, end = line.rstrip("\n").split("\t")[:3]
        faults.append((kind, float(start), float(end)))

failed = []
rows = {}
for kind, start, end in faults:
    answered = [e for e in events if e[1] > end and 200 <= e[2] < 500]
    first = min((e[1] for e in answered), default=None)
    during = [e for e in events if start <= e[1] <= end]
    r = rows.setdefault(kind, {"n": 0, "recovery": [], "outage": [], "503": 0, "503_sentence": 0,
                                "500": 0, "other_5xx": 0, "no_answer": 0, "ok": 0,
                                "max_503_latency": 0.0, "max_latency": 0.0})
    r["n"] += 1
    if first is None:
        failed.append(f"{kind} at {start:.0f}: no answer after it")
        continue
    r["recovery"].append((first - end) / 1000)
    r["outage"].append((first - start) / 1000)
    for e in during:
        if e[2] != 0:
            r["max_latency"] = max(r["max_latency"], e[3])
        if e[2] == 503:
            r["503"] += 1
            r["503_sentence"] += e[4]
            r["max_503_latency"] = max(r["max_503_latency"], e[3])
        elif e[2] == 500:
            r["500"] += 1
        elif e[2] >= 500:
            r["other_5xx"] += 1
        elif e[2] == 0:
            r["no_answer"] += 1
        else:
            r["ok"] += 1

for kind, r in rows.items():
    if r["500"]:
        failed.append(f"{kind}: {r['500']} answers were 500, not 503")
    if r["503"] != r["503_sentence"]:
        failed.append(f"{kind}: {r['503'] - r['503_sentence']} 503 answers without a code and sentence")
    if kind in ("freeze", "diskfull") and r["503"] == 0:
        failed.append(f"{kind}: coupond never answered 503 during the fault")
    if kind == "freeze" and r["max_latency"] > deadline + 1000:
        failed.append(f"freeze: an answer took {r['max_latency']:.0f} ms (deadline {deadline} ms)")
    if kind == "freeze" and r["no_answer"]:
        failed.append(f"freeze: {r['no_answer']} requests got no answer at all (time-out)")


def fmt(xs):
    if not xs:
        return "-"
    return f"{statistics.median(xs):.2f} / {max(xs):.2f}"


all_lat = sorted(e[3] for e in events if 200 <= e[2] < 500)
print(f"### Chaos run ({form})\n")
print(f"{len(events)} till attempts; definitive answers: {len(all_lat)}, latency p50 "
      f"{all_lat[len(all_lat) // 2]:.0f} ms, p99 {all_lat[int(len(all_lat) * 0.99)]:.0f} ms.\n"
      if all_lat else "no answers\n")
print("| fault | times | recovery s (median / max) | outage s (median / max) | answers during: ok / 503 (with sentence) / 500 / other 5xx / none | slowest 503 ms | slowest answer ms |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for kind, r in rows.items():
    print(f"| {kind} | {r['n']} | {fmt(r['recovery'])} | {fmt(r['outage'])} | {r['ok']} / {r['503']} "
          f"({r['503_sentence']}) / {r['500']} / {r['other_5xx']} / {r['no_answer']} | {r['max_503_latency']:.0f} "
          f"| {r['max_latency']:.0f} |")
print()
for f in failed:
    print(f"FAILED: {f}")
sys.exit(1 if failed else 0)

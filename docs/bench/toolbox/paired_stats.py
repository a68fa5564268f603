#!/usr/bin/env python3
"""Paired statistics of `fedmil bench toolbox --experiment active` results against the random arm.

usage: paired_stats.py RESULTS.jsonl [SEED_FROM SEED_TO]

Per arm, over the seeds where both the arm and 'random' finished: mean ± sample std of the paired AUC
difference, wins / ties / losses (|Δ| < 1e-9 is a tie), two-sided Wilcoxon signed-rank p (scipy, zero
differences dropped), and the number of models below AUC 0.5. Held-out AUC, and the common pool's AUC
where the lines have one. A seed run twice counts once, with its later line (as the markdown report).
"""
import json
import statistics
import sys

from scipy.stats import wilcoxon

lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
lo, hi = (int(sys.argv[2]), int(sys.argv[3])) if len(sys.argv) > 3 else (-10**9, 10**9)
by_arm = {}
for r in lines:
    if lo <= r["seed"] <= hi:
        by_arm.setdefault(r["arm"], {})[r["seed"]] = r
ref = by_arm.get("random", {})


def row(arm, key):
    seeds = sorted(s for s in by_arm[arm] if s in ref and by_arm[arm][s].get(key) is not None
                   and (key == "auc" or by_arm[arm][s].get("poolBags", 0) > 0))
    if not seeds:
        return None
    a = [by_arm[arm][s][key] for s in seeds]
    below = sum(1 for x in a if x < 0.5)
    if arm == "random":
        return f"{arm:34s} {key:8s} n={len(seeds):2d} AUC {statistics.mean(a):.3f} ± {statistics.stdev(a) if len(a) > 1 else 0:.3f}  <0.5: {below}"
    d = [by_arm[arm][s][key] - ref[s][key] for s in seeds]
    w = sum(x > 1e-9 for x in d)
    l = sum(x < -1e-9 for x in d)
    t = len(d) - w - l
    nz = [x for x in d if abs(x) > 1e-9]
    p = wilcoxon(nz).pvalue if len(nz) > 0 else float("nan")
    sd = statistics.stdev(d) if len(d) > 1 else 0.0
    return (f"{arm:34s} {key:8s} n={len(seeds):2d} AUC {statistics.mean(a):.3f} ± "
            f"{statistics.stdev(a) if len(a) > 1 else 0:.3f}  Δ {statistics.mean(d):+.3f} ± {sd:.3f} "
            f"(median {statistics.median(d):+.3f})  w/t/l {w}/{t}/{l}  Wilcoxon p {p:.3f}  <0.5: {below}")


for arm in by_arm:
    for key in ("auc", "poolAuc"):
        out = row(arm, key)
        if out:
            print(out)
print()
for arm in by_arm:
    print(arm, "per seed (held-out / pool):", ", ".join(
        f"{s}: {r['auc']:.3f}/{r.get('poolAuc', float('nan')):.3f}" for s, r in sorted(by_arm[arm].items())))

#!/usr/bin/env python3
"""Summarises alternating runs of two channel-bench builds (channel-ab.sh's
process mode): for each contender, the median ratio to Boost of A's runs and
of B's runs, and B over A, separately for quiet and busy spells (a run is
busy when its Boost rate is below the geometric middle of all runs').

Usage: ab-summary.py A-output... -- B-output..."""
import math
import re
import statistics
import sys

LINE = re.compile(r"^\s+(.+?)\s+([\d.]+) M msg/s\s+([\d.]+)x Boost")
REFERENCE = re.compile(r"reference: boost\S*\s+([\d.]+) M msg/s")


def parse(path):
    boost, ratios = None, {}
    with open(path) as f:
        for line in f:
            if "quiet" in line and "busy" in line:
                break  # the per-spell block repeats the contenders
            m = REFERENCE.search(line)
            if m:
                boost = float(m.group(1))
            m = LINE.match(line)
            if m and not line.strip().startswith("reference"):
                ratios[m.group(1)] = float(m.group(3))
    if boost is None:
        sys.exit(f"ab-summary: no Boost reference in {path}")
    return boost, ratios


def main(argv):
    if "--" not in argv:
        sys.exit(__doc__)
    cut = argv.index("--")
    runs = {"A": [parse(p) for p in argv[:cut]], "B": [parse(p) for p in argv[cut + 1:]]}
    rates = [b for side in runs.values() for b, _ in side]
    split = math.sqrt(min(rates) * max(rates)) if max(rates) > 2.5 * min(rates) else 0
    spells = [("quiet", lambda b: b > split), ("busy", lambda b: b <= split)] if split else [("all", lambda b: True)]
    names = list(runs["A"][0][1]) if runs["A"] else []
    for spell, inside in spells:
        a_runs = [r for b, r in runs["A"] if inside(b)]
        b_runs = [r for b, r in runs["B"] if inside(b)]
        if not a_runs or not b_runs:
            print(f"{spell} spells: {len(a_runs)} runs of A, {len(b_runs)} of B: nothing to compare")
            continue
        print(f"{spell} spells: {len(a_runs)} runs of A, {len(b_runs)} of B; median ratio to Boost")
        for name in names:
            a = statistics.median(r[name] for r in a_runs if name in r)
            b = statistics.median(r[name] for r in b_runs if name in r)
            print(f"  {name:52s} A {a:5.2f}x  B {b:5.2f}x  B/A {b / a:.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])

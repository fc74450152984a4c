#!/usr/bin/env python3
"""campaign-summary.py SUMMARY: medians of campaign.sh's exec/s and of the paired
portfuzz/libFuzzer ratios."""
import re, statistics as st, collections, sys
d = collections.defaultdict(dict)
for l in open(sys.argv[1]):
    m = re.match(r"(\S+) (\S+) r(\d+) eps=(\d+)", l)
    if m: d[(m.group(1), m.group(3))][m.group(2)] = int(m.group(4))
for h in sorted({k[0] for k in d}):
    reps = [d[k] for k in sorted(d) if k[0] == h and len(d[k]) == 2]
    print("%-22s pf %6d lf %6d  pf/lf %.2f  per rep: %s" % (h, st.median(r["portfuzz"] for r in reps), st.median(r["libfuzzer"] for r in reps),
          st.median(r["portfuzz"] / r["libfuzzer"] for r in reps), " ".join("%d/%d=%.2f" % (r["portfuzz"], r["libfuzzer"], r["portfuzz"] / r["libfuzzer"]) for r in reps)))

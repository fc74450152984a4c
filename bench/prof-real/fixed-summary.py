#!/usr/bin/env python3
"""fixed-summary.py SUMMARY: medians of fixed.sh's CPU seconds (user + system) per
harness and label, and of the per-repetition ratios."""
import sys, re, statistics as st, collections
d = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    m = re.match(r"(\S+) (\S+) r(\d+) wall,user,sys=(\S+) (\S+) (\S+)", line)
    if m:
        h, lb, r, w, u, s = m.groups()
        d[(h, int(r))][lb] = (float(w), float(u) + float(s))
hs = sorted({h for h, _ in d})
print("%-22s %8s %8s %8s %10s %10s %10s %10s" % ("harness", "base cpu", "new cpu", "lf cpu", "new/base", "lf/base", "lf/new", "wall lf/new"))
for h in hs:
    reps = [d[k] for k in d if k[0] == h and len(d[k]) == 3]
    med = lambda f: st.median(f(r) for r in reps)
    print("%-22s %8.2f %8.2f %8.2f %10.2f %10.2f %10.2f %10.2f  (%d reps)" % (h, med(lambda r: r["base"][1]), med(lambda r: r["new"][1]), med(lambda r: r["lf"][1]),
          med(lambda r: r["new"][1] / r["base"][1]), med(lambda r: r["lf"][1] / r["base"][1]), med(lambda r: r["lf"][1] / r["new"][1]), med(lambda r: r["lf"][0] / r["new"][0]), len(reps)))

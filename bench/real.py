#!/usr/bin/env python3
"""real.py -- portfuzz vs libFuzzer on real projects' own fuzz harnesses.

Called by bench/real.sh once it has built every harness twice into BIN/:
NAME-portfuzz (linked with libportfuzz) and NAME-libfuzzer (clang
-fsanitize=fuzzer), from the same objects.

For each harness, each seed and each pairing, both engines fuzz from an empty
corpus for the same wall-clock time, one after the other (the order
alternates with the seed, so a slow spell of the machine does not always hit
the same engine):

  1w        portfuzz -workers=1           vs libFuzzer (one process)
  2w-fork   portfuzz -workers=2           vs libFuzzer -fork=2
  2w-jobs   portfuzz -workers=2           vs libFuzzer -jobs=2 -workers=2

Coverage is measured the same way for both: the final corpus replayed through
the libFuzzer build with -runs=0, reading cov: and ft: of its INITED line
(libFuzzer's units). Also: exec/s (stat::average_exec_per_sec, summed over
-jobs processes; fork mode's executions / seconds from its last status line), the peak RSS of the largest
process (GNU time's %M), the time to the first crash when one is found, and
each engine's own coverage over time from its status lines (time-stamped
as they are read), written as NAME-PAIR-ENGINE-seedS.cov (seconds, cov) and
drawn into PNGs when gnuplot is there. The table prints medians over seeds
of the paired ratios portfuzz/libFuzzer.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time

PAIRS = {
    "1w": (["-workers=1"], []),
    "2w-fork": (["-workers=2"], ["-fork=2"]),
    "2w-jobs": (["-workers=2"], ["-jobs=2", "-workers=2"]),
}

COV_RE = re.compile(r"\bcov: (\d+)")
FT_RE = re.compile(r"\bft: (\d+)")
EPS_RE = re.compile(r"^stat::average_exec_per_sec:\s+(\d+)", re.M)
FORK_RE = re.compile(r"^#(\d+): cov: \d+ .*? time: (\d+)s", re.M)
CRASH_RE = re.compile(r"(==\d+==ERROR|deadly signal|ERROR: libFuzzer|SUMMARY: )")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run_engine(cmd, cwd, secs, logpath, covpath):
    """Runs cmd (with GNU time) for about secs; returns (stderr text, peak
    RSS in MiB, seconds to the first crash report or None, wall seconds)."""
    rss_file = os.path.join(cwd, "rss.txt")
    full = ["/usr/bin/time", "-f", "%M", "-o", rss_file] + cmd
    t0 = time.monotonic()
    p = subprocess.Popen(full, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         start_new_session=True)
    lines, series = [], []
    first_crash = [None]

    def reader():
        for raw in p.stderr:
            line = raw.decode("utf-8", "replace")
            t = time.monotonic() - t0
            lines.append(line)
            m = COV_RE.search(line)
            if m and (line.startswith("#") or "INITED" in line):
                series.append((t, int(m.group(1))))
            if first_crash[0] is None and CRASH_RE.search(line):
                first_crash[0] = t

    th = threading.Thread(target=reader, daemon=True)
    th.start()
    try:
        p.wait(timeout=secs + 120)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, 9)
        p.wait()
    th.join(10)
    wall = time.monotonic() - t0
    text = "".join(lines)
    with open(logpath, "w") as f:
        f.write(text)
    with open(covpath, "w") as f:
        f.write("# seconds cov (the engine's own units)\n")
        for t, c in series:
            f.write("%.2f %d\n" % (t, c))
    try:
        rss = int(open(rss_file).read().split()[-1]) / 1024.0
    except (OSError, ValueError, IndexError):
        rss = float("nan")
    return text, rss, first_crash[0], wall


def replay(lfbin, corpus, work):
    """cov and ft of the corpus in libFuzzer's units."""
    files = [f for f in os.listdir(corpus) if not f.startswith(".")]
    if not files:
        return 0, 0
    r = subprocess.run([lfbin, "-runs=0", "-timeout=30", "-rss_limit_mb=4096", corpus], cwd=work,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=3600)
    text = r.stderr.decode("utf-8", "replace")
    for line in text.splitlines():
        if "INITED" in line or line.startswith("#") and "DONE" in line:
            c, f = COV_RE.search(line), FT_RE.search(line)
            if c and f:
                return int(c.group(1)), int(f.group(1))
    log("  replay of %s gave no INITED line (exit %d):\n%s" % (corpus, r.returncode, text[-2000:]))
    return float("nan"), float("nan")


def exec_per_sec(engine, pair, text, work):
    if engine == "libfuzzer" and pair == "2w-jobs":
        total = 0
        for name in os.listdir(work):
            if name.startswith("fuzz-") and name.endswith(".log"):
                m = EPS_RE.findall(open(os.path.join(work, name), errors="replace").read())
                total += int(m[-1]) if m else 0
        return total
    if engine == "libfuzzer" and pair == "2w-fork":
        # "#N: cov: ... exec/s E ... time: Ts": E is the last job's rate; the
        # whole run's is N / T
        m = FORK_RE.findall(text)
        return int(m[-1][0]) / max(int(m[-1][1]), 1) if m else float("nan")
    m = EPS_RE.findall(text)
    return int(m[-1]) if m else float("nan")


def one(args, name, pair, engine, seed):
    tag = "%s-%s-%s-seed%d" % (name, pair, engine, seed)
    work = os.path.join(args.work, tag)
    shutil.rmtree(work, ignore_errors=True)
    corpus = os.path.join(work, "corpus")
    os.makedirs(corpus)
    secs = int(args.minutes * 60)
    common = ["-seed=%d" % seed, "-max_total_time=%d" % secs, "-print_final_stats=1",
              "-artifact_prefix=%s/" % work, "-rss_limit_mb=2048", "-timeout=25"]
    pf_extra, lf_extra = PAIRS[pair]
    binary = os.path.join(args.bin, "%s-%s" % (name, engine))
    if engine == "portfuzz":
        cmd = [binary] + common + pf_extra + ["-feature_cache=0",
                                              "-plot_data=%s/plot.txt" % work, corpus]
    else:
        cmd = [binary] + common + lf_extra + [corpus]
    log("  %s: %s" % (tag, " ".join(cmd[1:])))
    text, rss, crash_t, wall = run_engine(cmd, work, secs, os.path.join(args.out, tag + ".log"),
                                          os.path.join(args.out, tag + ".cov"))
    cov, ft = replay(os.path.join(args.bin, name + "-libfuzzer"), corpus, work)
    eps = exec_per_sec(engine, pair, text, work)
    res = dict(cov=cov, ft=ft, eps=eps, rss=rss, crash=crash_t, wall=wall,
               files=len(os.listdir(corpus)))
    log("    cov %s ft %s exec/s %s rss %.0fMb corpus %d files%s" %
        (cov, ft, eps, rss, res["files"],
         "" if crash_t is None else " first crash at %.0fs" % crash_t))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return res


def ratio(a, b):
    try:
        return a / b if b else float("nan")
    except TypeError:
        return float("nan")


def med(xs):
    xs = [x for x in xs if x == x]
    return statistics.median(xs) if xs else float("nan")


def plot(args, name, pair, seed):
    if shutil.which("gnuplot") is None:
        return
    base = os.path.join(args.out, "%s-%s" % (name, pair))
    files = ["%s-%s-seed%d.cov" % (base, e, seed) for e in ("portfuzz", "libfuzzer")]
    if not all(os.path.exists(f) and os.path.getsize(f) > 40 for f in files):
        return
    script = ("set terminal png size 900,500; set output '%s-seed%d.png';"
              "set title '%s %s (seed %d): coverage over time, each engine in its own units';"
              "set xlabel 'seconds'; set ylabel 'cov'; set key bottom right;"
              "plot '%s' using 1:2 with steps title 'portfuzz', '%s' using 1:2 with steps "
              "title 'libFuzzer'") % (base, seed, name, pair, seed, files[0], files[1])
    subprocess.run(["gnuplot", "-e", script], check=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True, help="directory for logs, curves, plots")
    ap.add_argument("--harness", nargs="+", required=True)
    ap.add_argument("--pairs", nargs="+", default=list(PAIRS), choices=list(PAIRS))
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    ap.add_argument("--keep", action="store_true", help="keep the work directories")
    args = ap.parse_args()
    args.bin, args.work, args.out = (os.path.abspath(x) for x in (args.bin, args.work, args.out))
    os.makedirs(args.out, exist_ok=True)
    rows = []
    for name in args.harness:
        for pair in args.pairs:
            per_seed = []
            for i, seed in enumerate(args.seeds):
                order = ["portfuzz", "libfuzzer"] if i % 2 == 0 else ["libfuzzer", "portfuzz"]
                res = {e: one(args, name, pair, e, seed) for e in order}
                per_seed.append(res)
                plot(args, name, pair, seed)
            pf = [r["portfuzz"] for r in per_seed]
            lf = [r["libfuzzer"] for r in per_seed]
            rows.append((name, pair,
                         med([p["cov"] for p in pf]), med([l["cov"] for l in lf]),
                         med([ratio(p["cov"], l["cov"]) for p, l in zip(pf, lf)]),
                         med([ratio(p["ft"], l["ft"]) for p, l in zip(pf, lf)]),
                         med([p["eps"] for p in pf]), med([l["eps"] for l in lf]),
                         med([ratio(p["eps"], l["eps"]) for p, l in zip(pf, lf)]),
                         med([p["rss"] for p in pf]), med([l["rss"] for l in lf]),
                         ["%.0f" % p["crash"] if p["crash"] is not None else "-" for p in pf],
                         ["%.0f" % l["crash"] if l["crash"] is not None else "-" for l in lf]))
    hdr = ("%-22s %-8s %8s %8s %7s %7s %9s %9s %7s %7s %7s  %s" %
           ("harness", "pair", "pf cov", "lf cov", "cov x", "ft x", "pf ex/s", "lf ex/s",
            "ex/s x", "pf MiB", "lf MiB", "first crash s (pf | lf, per seed)"))
    out = ["# %g-minute campaigns, seeds %s; medians over seeds; x = portfuzz / libFuzzer, "
           "paired per seed; cov/ft: the final corpus replayed through the libFuzzer build "
           "(-runs=0)" % (args.minutes, " ".join(map(str, args.seeds))), hdr]
    for r in rows:
        out.append("%-22s %-8s %8.0f %8.0f %7.2f %7.2f %9.0f %9.0f %7.2f %7.0f %7.0f  %s | %s" %
                   (r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
                    " ".join(r[11]), " ".join(r[12])))
    print("\n".join(out))


if __name__ == "__main__":
    main()

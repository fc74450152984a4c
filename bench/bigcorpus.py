#!/usr/bin/env python3
"""bigcorpus.py -- what a campaign costs when its corpus is 50,000 files.

Called by bench/bigcorpus.sh with a harness built both ways (NAME-portfuzz,
NAME-libfuzzer in BIN, as bench/real.sh builds them). It makes the corpus
once: a short libFuzzer campaign's corpus of the harness, plus mutants of it
(byte flips, insertions, truncations, splices; a fixed random seed) up to
--files files. Then, each measured --reps times with the engines alternating
(medians printed):

  restart   the wall-clock time from start to the end of the first fuzzing
            execution after the corpus ran (-runs=1 makes both engines stop
            there): libFuzzer; portfuzz -workers=1 and -workers=2 with the
            feature cache off; portfuzz -workers=2 with a warm feature cache
            (an earlier run of the same binary on the same corpus)
  merge     -merge=1 of the corpus into an empty directory: libFuzzer,
            portfuzz -workers=1 and -workers=2 (the merge runs in that many
            workers at once); the files each kept are printed too
  reload    the coordinator's own CPU seconds over --reload-secs seconds of
            fuzzing on the corpus with -reload=1 and with -reload=0
            (portfuzz -workers=1, warm cache; read from /proc/PID/stat)
"""
import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, cwd, timeout):
    t0 = time.monotonic()
    r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=timeout)
    return time.monotonic() - t0, r.returncode, r.stderr.decode("utf-8", "replace")


def make_corpus(args, lf, corpus):
    if os.path.isdir(corpus) and len(os.listdir(corpus)) >= args.files:
        log("corpus: %s (%d files, reused)" % (corpus, len(os.listdir(corpus))))
        return
    shutil.rmtree(corpus, ignore_errors=True)
    base = corpus + ".base"
    shutil.rmtree(base, ignore_errors=True)
    os.makedirs(base)
    log("corpus: a %d-second libFuzzer campaign for the base" % args.base_secs)
    run([lf, "-seed=1", "-max_total_time=%d" % args.base_secs, base], os.path.dirname(corpus),
        args.base_secs + 120)
    seeds = []
    for name in sorted(os.listdir(base)):
        with open(os.path.join(base, name), "rb") as f:
            seeds.append(f.read())
    if not seeds:
        seeds = [b""]
    os.makedirs(corpus)
    rng = random.Random(12345)
    seen = set()
    n = 0
    for data in seeds:  # the campaign's own inputs first
        if data not in seen:
            seen.add(data)
            with open(os.path.join(corpus, "base-%06d" % n), "wb") as f:
                f.write(data)
            n += 1
    while n < args.files:
        d = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):
            op = rng.randrange(4)
            if op == 0 and d:
                d[rng.randrange(len(d))] ^= 1 << rng.randrange(8)
            elif op == 1:
                d[rng.randint(0, len(d)):rng.randint(0, len(d))] = bytes(
                    rng.randrange(256) for _ in range(rng.randint(1, 8)))
            elif op == 2 and d:
                del d[rng.randint(0, len(d) - 1):]
            else:
                o = rng.choice(seeds)
                d = d[:rng.randint(0, len(d))] + o[rng.randint(0, len(o)):]
        d = bytes(d[:4096])
        if d in seen:
            continue
        seen.add(d)
        with open(os.path.join(corpus, "m-%06d" % n), "wb") as f:
            f.write(d)
        n += 1
    log("corpus: %d files (%d from the campaign), %.1f MiB" %
        (n, len(seeds), sum(len(x) for x in seen) / 2**20))


def proc_cpu(pid):
    try:
        f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def coordinator_cpu(cmd, cwd, secs):
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    last = 0.0
    deadline = time.monotonic() + secs + 300
    while p.poll() is None and time.monotonic() < deadline:
        c = proc_cpu(p.pid)
        if c is not None:
            last = c
        time.sleep(0.2)
    if p.poll() is None:
        p.kill()
    p.wait()
    return last


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--harness", default="libxml2-xml-none")
    ap.add_argument("--files", type=int, default=50000)
    ap.add_argument("--base-secs", type=int, default=120)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--reload-secs", type=int, default=60)
    ap.add_argument("--only", choices=("all", "merge"), default="all",
                    help="merge: measure -merge=1 alone (skips restart and reload)")
    args = ap.parse_args()
    args.bin, args.work = os.path.abspath(args.bin), os.path.abspath(args.work)
    pf = os.path.join(args.bin, args.harness + "-portfuzz")
    lf = os.path.join(args.bin, args.harness + "-libfuzzer")
    os.makedirs(args.work, exist_ok=True)
    corpus = os.path.join(args.work, "corpus")
    make_corpus(args, lf, corpus)
    cache = os.path.join(args.work, "cache")
    common = ["-seed=1", "-runs=1", "-timeout=25", "-rss_limit_mb=4096"]
    merge_only = args.only == "merge"
    shutil.rmtree(cache, ignore_errors=True)
    # Warm the cache once (not measured). The corpus is the first directory,
    # as a restarted campaign has it: this run adds portfuzz's <sha1> copies
    # of its entries, so every measured run sees the same files.
    if not merge_only:
        run([pf, "-workers=2", "-feature_cache=" + cache] + common + [corpus], args.work, 3600)
    nfiles = len(os.listdir(corpus))
    restart = {k: [] for k in ("libFuzzer", "pf w1 (no cache)", "pf w2 (no cache)",
                               "pf w2 (warm cache)")}
    merge = {"libFuzzer": [], "pf w1": [], "pf w2": []}
    kept_by = {k: [] for k in merge}
    for rep in range(args.reps):
        cmds = [
            ("libFuzzer", [lf] + common + [corpus]),
            ("pf w1 (no cache)", [pf, "-workers=1", "-feature_cache=0"] + common + [corpus]),
            ("pf w2 (no cache)", [pf, "-workers=2", "-feature_cache=0"] + common + [corpus]),
            ("pf w2 (warm cache)", [pf, "-workers=2", "-feature_cache=" + cache] + common +
             [corpus]),
        ]
        if rep % 2:
            cmds.reverse()
        for name, cmd in ([] if merge_only else cmds):
            t, rc, err = run(cmd, args.work, 3600)
            log("  restart %-20s %7.1fs (exit %d)" % (name, t, rc))
            restart[name].append(t)
        order = ["libFuzzer", "pf w1", "pf w2"]
        for name in (order if rep % 2 == 0 else order[::-1]):
            out = os.path.join(args.work, "merged")
            shutil.rmtree(out, ignore_errors=True)
            os.makedirs(out)
            ctl = os.path.join(args.work, "merge.ctl")
            if os.path.exists(ctl):
                os.remove(ctl)
            cmd = ([lf] if name == "libFuzzer" else [pf, "-workers=" + name[-1], "-feature_cache=0"]) + \
                ["-merge=1", "-timeout=25", "-rss_limit_mb=4096", out, corpus]
            t, rc, err = run(cmd, args.work, 7200)
            kept = len(os.listdir(out))
            log("  merge   %-20s %7.1fs (exit %d, %d files kept)" % (name, t, rc, kept))
            merge[name].append(t)
            kept_by[name].append(kept)
    reload = {}
    for r in ((1, 0) if not merge_only else ()):
        # new finds go to a fresh first directory: the corpus stays as measured
        out = os.path.join(args.work, "reload-out")
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        cpu = coordinator_cpu([pf, "-workers=1", "-feature_cache=" + cache, "-seed=1",
                               "-max_total_time=%d" % args.reload_secs, "-reload=%d" % r,
                               "-timeout=25", out, corpus], args.work, args.reload_secs)
        log("  coordinator CPU with -reload=%d: %.2fs over %ds" % (r, cpu, args.reload_secs))
        reload[r] = cpu
    print("# %s, corpus of %d files (%.1f MiB); medians of %d runs; seconds" %
          (args.harness, nfiles,
           sum(os.path.getsize(os.path.join(corpus, f)) for f in os.listdir(corpus)) / 2**20,
           args.reps))
    if not merge_only:
        base = med(restart["libFuzzer"])
        print("restart to the first fuzzing execution:")
        for k, v in restart.items():
            print("  %-20s %8.1f s   x%.2f of libFuzzer's time" % (k, med(v), med(v) / base))
    print("merge (-merge=1 into an empty directory):")
    for k, v in merge.items():
        print("  %-20s %8.1f s   x%.2f of libFuzzer's time   runs %s   files kept %s" %
              (k, med(v), med(v) / med(merge["libFuzzer"]), " ".join("%.1f" % x for x in v),
               " ".join(str(x) for x in kept_by[k])))
    print("  pf w2 / pf w1: x%.2f" % (med(merge["pf w2"]) / med(merge["pf w1"])))
    if not merge_only:
        print("coordinator CPU over %d s of fuzzing, -workers=1: -reload=1 %.2f s, -reload=0 %.2f s" %
              (args.reload_secs, reload[1], reload[0]))


if __name__ == "__main__":
    main()

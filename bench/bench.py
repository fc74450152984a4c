#!/usr/bin/env python3
"""bench.py -- runs portfuzz, libFuzzer and AFL++ alternately and prints ratios.

Called by bench/run.sh after it has built everything into bench/_build/bin/
{pf,lf,afl,aflcmp}/<target>. Every measurement is taken in rounds; within a
round the engines run one after the other (portfuzz, libFuzzer, AFL++, ...), so
a burst of load from something else on the machine hits neighbours, and each
ratio is computed inside one round (paired), then summarised as median and
min-max over the rounds.

Throughput is total executions / wall-clock seconds of the whole run (start-up,
calibration and shutdown included, the same for every engine).
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

MODES = {
    # reps x secs for exec/s; seeds x cap for time-to-crash; coverage secs x reps
    "quick": dict(reps=3, secs=3, seeds=3, cap=12, cov_secs=10, cov_reps=2, rst_secs=3, rst_reps=2),
    "smoke": dict(reps=1, secs=1, seeds=1, cap=5, cov_secs=3, cov_reps=1, rst_secs=2, rst_reps=1),
    "full": dict(reps=5, secs=10, seeds=5, cap=30, cov_secs=60, cov_reps=3, rst_secs=5, rst_reps=3),
}
EXEC_TARGETS = ["empty", "parser", "zlib_inflate"]
CRASH_TARGETS = ["magic", "cmp64", "strcmp", "switch", "heap_overflow", "checksum", "crc_payload"]
AFL_ENV = dict(AFL_SKIP_CPUFREQ="1", AFL_NO_UI="1", AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES="1",
               AFL_NO_AFFINITY="1", AFL_SKIP_CRASHES="1", AFL_QUIET="1",
               AFL_IGNORE_SEED_PROBLEMS="1")

ARGS = None
LOG = []


def say(msg):
    print(msg, flush=True)
    LOG.append(msg)


def note(msg):
    print("  " + msg, file=sys.stderr, flush=True)


def loadavg():
    try:
        return float(open("/proc/loadavg").read().split()[0])
    except OSError:
        return -1.0


# ------------------------------------------------------------------ processes

def children_of(pid):
    out = []
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            try:
                out += [int(x) for x in open(f"/proc/{pid}/task/{t}/children").read().split()]
            except OSError:
                pass
    except OSError:
        pass
    return out


def vmhwm_kb(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def comm(pid):
    try:
        return open(f"/proc/{pid}/comm").read().strip()
    except OSError:
        return ""


class Run:
    """A process run with a wall-clock limit and a peak-RSS sampler for the
    process (root) and its descendants."""

    def __init__(self, argv, cwd, env=None, limit=None, log=None):
        self.argv, self.cwd, self.limit = argv, cwd, limit
        e = dict(os.environ)
        e.update(env or {})
        self.log = log or os.path.join(cwd, "out.log")
        self.root_hwm = 0
        self.child_hwm = {}  # pid -> (comm, kB)
        t0 = time.monotonic()
        with open(self.log, "wb") as lf:
            self.p = subprocess.Popen(argv, cwd=cwd, env=e, stdout=lf, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True)
            self.killed = False
            while True:
                try:
                    self.rc = self.p.wait(timeout=0.05)
                    break
                except subprocess.TimeoutExpired:
                    pass
                self.sample()
                if limit and time.monotonic() - t0 > limit:
                    self.killed = True
                    try:
                        os.killpg(self.p.pid, signal.SIGKILL)
                    except OSError:
                        pass
        self.wall = time.monotonic() - t0
        self.out = open(self.log, "rb").read().decode("utf-8", "replace")

    def sample(self):
        pid = self.p.pid
        self.root_hwm = max(self.root_hwm, vmhwm_kb(pid))
        stack = children_of(pid)
        while stack:
            c = stack.pop()
            kb = vmhwm_kb(c)
            if kb:
                old = self.child_hwm.get(c, ("", 0))
                self.child_hwm[c] = (comm(c) or old[0], max(old[1], kb))
            stack += children_of(c)

    def max_child_kb(self):
        return max([kb for _, kb in self.child_hwm.values()] or [0])


def fresh(name):
    d = os.path.join(ARGS.work, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def binp(flavour, target):
    return os.path.join(ARGS.bin, flavour, target)


def last_int(pattern, text, default=None):
    m = re.findall(pattern, text, re.M)
    return int(m[-1]) if m else default


def afl_stats(outdir, inst="default"):
    st = {}
    try:
        for line in open(os.path.join(outdir, inst, "fuzzer_stats")):
            k, _, v = line.partition(":")
            st[k.strip()] = v.strip()
    except OSError:
        pass
    return st


def afl_seed_dir(d):
    i = os.path.join(d, "in")
    os.makedirs(i, exist_ok=True)
    with open(os.path.join(i, "seed"), "wb") as f:
        f.write(b"0")
    return i


# ------------------------------------------------------------------ runners
# Each returns a dict: execs, wall, plus extra fields.

def run_pf(target, workers, secs, seed, extra=(), corpus=True, limit_pad=20):
    d = fresh(f"pf-{target}-{workers}")
    argv = [binp("pf", target), f"-workers={workers}", f"-max_total_time={secs}",
            "-print_final_stats=1", f"-seed={seed}", f"-artifact_prefix={d}/", *extra]
    if corpus:
        os.makedirs(os.path.join(d, "corpus"))
        argv.append(os.path.join(d, "corpus"))
    r = Run(argv, d, limit=secs + limit_pad)
    execs = last_int(r"^stat::number_of_executed_units:\s*(\d+)", r.out, 0)
    cov = last_int(r"^#\d+\s+DONE\s+cov: (\d+)", r.out)
    if cov is None:
        cov = last_int(r"cov: (\d+)", r.out)
    workers_kb = [kb for c, kb in r.child_hwm.values()]
    return dict(execs=execs, wall=r.wall, rc=r.rc, cov=cov, rss_coord_kb=r.root_hwm,
                rss_worker_kb=max(workers_kb or [0]), out=r.out, dir=d, killed=r.killed)


def run_lf(target, secs, seed, extra=(), limit_pad=20, name="lf"):
    d = fresh(f"{name}-{target}")
    os.makedirs(os.path.join(d, "corpus"))
    argv = [binp("lf", target), f"-max_total_time={secs}", "-print_final_stats=1",
            f"-seed={seed}", f"-artifact_prefix={d}/", *extra, os.path.join(d, "corpus")]
    r = Run(argv, d, limit=secs + limit_pad)
    execs = last_int(r"^stat::number_of_executed_units:\s*(\d+)", r.out, 0)
    cov = last_int(r"^#\d+\s+DONE\s+cov: (\d+)", r.out)
    if cov is None:
        cov = last_int(r"cov: (\d+)", r.out)
    return dict(execs=execs, wall=r.wall, rc=r.rc, cov=cov, rss_kb=r.root_hwm, out=r.out,
                dir=d, killed=r.killed)


def run_lf_fork(target, secs, seed, n=2):
    d = fresh(f"lffork-{target}")
    os.makedirs(os.path.join(d, "corpus"))
    argv = [binp("lf", target), f"-fork={n}", f"-max_total_time={secs}", f"-seed={seed}",
            f"-artifact_prefix={d}/", os.path.join(d, "corpus")]
    r = Run(argv, d, limit=secs + 20)
    execs = last_int(r"^#(\d+): cov:", r.out, 0)
    return dict(execs=execs, wall=r.wall, rc=r.rc)


def run_lf_jobs(target, secs, seed, n=2):
    d = fresh(f"lfjobs-{target}")
    os.makedirs(os.path.join(d, "corpus"))
    argv = [binp("lf", target), f"-jobs={n}", f"-workers={n}", f"-max_total_time={secs}",
            "-print_final_stats=1", f"-seed={seed}", f"-artifact_prefix={d}/",
            os.path.join(d, "corpus")]
    r = Run(argv, d, limit=secs + 20)
    execs = 0
    for i in range(n):
        try:
            txt = open(os.path.join(d, f"fuzz-{i}.log"), errors="replace").read()
        except OSError:
            txt = ""
        execs += last_int(r"^stat::number_of_executed_units:\s*(\d+)", txt, 0)
    return dict(execs=execs, wall=r.wall, rc=r.rc)


def afl_argv(target, d, secs, seed, inst=None, cmplog=False):
    argv = ["afl-fuzz", "-V", str(secs), "-s", str(seed), "-i", afl_seed_dir(d),
            "-o", os.path.join(d, "out")]
    if inst:
        argv += inst
    if cmplog:
        argv += ["-c", binp("aflcmp", target)]
    return argv + ["--", binp("afl", target)]


def run_afl(target, secs, seed, cmplog=False, env=None, limit=None):
    d = fresh(f"afl-{target}")
    e = dict(AFL_ENV)
    e.update(env or {})
    r = Run(afl_argv(target, d, secs, seed, cmplog=cmplog), d, env=e,
            limit=limit or secs + 30)
    st = afl_stats(os.path.join(d, "out"))
    rss_target = max([kb for c, kb in r.child_hwm.values()] or [0])
    return dict(execs=int(st.get("execs_done", 0)), wall=r.wall, rc=r.rc,
                edges=int(st.get("edges_found", 0) or 0), stats=st, rss_kb=r.root_hwm,
                rss_target_kb=rss_target, dir=d, out=r.out, killed=r.killed)


def run_afl2(target, secs, seed):
    """-M main and -S sec on one output directory, started together."""
    d = fresh(f"afl2-{target}")
    e = dict(os.environ)
    e.update(AFL_ENV)
    t0 = time.monotonic()
    procs = []
    for inst, s in ((["-M", "main"], seed), (["-S", "sec"], seed + 1)):
        lf = open(os.path.join(d, f"{inst[1]}.log"), "wb")
        procs.append(subprocess.Popen(afl_argv(target, d, secs, s, inst=inst), cwd=d, env=e,
                                      stdout=lf, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True))
    for p in procs:
        try:
            p.wait(timeout=secs + 30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    wall = time.monotonic() - t0
    execs = sum(int(afl_stats(os.path.join(d, "out"), i).get("execs_done", 0))
                for i in ("main", "sec"))
    return dict(execs=execs, wall=wall, rc=0)


# ------------------------------------------------------------------ statistics

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def summary(xs, fmt="{:.2f}"):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "n/a"
    return f"{fmt.format(statistics.median(xs))} ({fmt.format(min(xs))}–{fmt.format(max(xs))})"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def human(x):
    if x is None:
        return "n/a"
    if x >= 1e6:
        return f"{x / 1e6:.2f}M"
    if x >= 1e3:
        return f"{x / 1e3:.1f}k"
    return f"{x:.0f}"


ROWS = []  # (section, row label, ratio summary, detail)


def row(section, label, ratios, detail, better=">1 better"):
    ROWS.append((section, label, summary(ratios), better, detail))


# ------------------------------------------------------------------ benchmarks

def bench_exec(m, raw):
    reps, secs = m["reps"], m["secs"]
    configs = [
        ("pf1", lambda t, s: run_pf(t, 1, secs, s)),
        ("lf1", lambda t, s: run_lf(t, secs, s)),
        ("afl1", lambda t, s: run_afl(t, secs, s)),
        ("pf2", lambda t, s: run_pf(t, 2, secs, s)),
        ("lffork2", lambda t, s: run_lf_fork(t, secs, s)),
        ("lfjobs2", lambda t, s: run_lf_jobs(t, secs, s)),
        ("afl2", lambda t, s: run_afl2(t, secs, s)),
    ]
    rss = {"pf_coord": [], "pf_worker": [], "lf": [], "afl_fuzz": [], "afl_target": []}
    for t in EXEC_TARGETS:
        eps = {k: [] for k, _ in configs}
        for rep in range(reps):
            for name, fn in configs:
                la = loadavg()
                r = fn(t, rep + 1)
                v = r["execs"] / r["wall"] if r["wall"] > 0 and r["execs"] else None
                eps[name].append(v)
                raw.append(dict(kind="exec", target=t, rep=rep, config=name, execs=r["execs"],
                                wall=round(r["wall"], 3), eps=v, loadavg=la))
                note(f"exec {t:13s} rep {rep} {name:8s} {human(v):>8s}/s  (load {la:.2f})")
                if t == "zlib_inflate":
                    if name == "pf1":
                        rss["pf_coord"].append(r["rss_coord_kb"] / 1024)
                        rss["pf_worker"].append(r["rss_worker_kb"] / 1024)
                    elif name == "lf1":
                        rss["lf"].append(r["rss_kb"] / 1024)
                    elif name == "afl1":
                        rss["afl_fuzz"].append(r["rss_kb"] / 1024)
                        rss["afl_target"].append(r["rss_target_kb"] / 1024)
        pr = lambda a, b: [ratio(x, y) for x, y in zip(eps[a], eps[b])]
        det = lambda *ks: ", ".join(f"{k} {human(med(eps[k]))}/s" for k in ks)
        row("exec/s, 1 worker", f"{t}: pf 1w / libFuzzer", pr("pf1", "lf1"), det("pf1", "lf1"))
        row("exec/s, 1 worker", f"{t}: pf 1w / AFL++ 1 inst.", pr("pf1", "afl1"), det("pf1", "afl1"))
        row("exec/s, 2 workers", f"{t}: pf 2w / libFuzzer -fork=2", pr("pf2", "lffork2"),
            det("pf2", "lffork2"))
        row("exec/s, 2 workers", f"{t}: pf 2w / libFuzzer -jobs=2 -workers=2", pr("pf2", "lfjobs2"),
            det("pf2", "lfjobs2"))
        row("exec/s, 2 workers", f"{t}: pf 2w / AFL++ -M + -S (sum)", pr("pf2", "afl2"),
            det("pf2", "afl2"))
        row("scaling", f"{t}: pf 2w / pf 1w", pr("pf2", "pf1"), det("pf2", "pf1"))
        row("scaling", f"{t}: (ref) libFuzzer -jobs=2 / 1 proc", pr("lfjobs2", "lf1"),
            det("lfjobs2", "lf1"))
    pf_tot = [a + b for a, b in zip(rss["pf_coord"], rss["pf_worker"])]
    row("peak RSS (zlib, 1 worker)", "pf coordinator + worker / libFuzzer",
        [ratio(a, b) for a, b in zip(pf_tot, rss["lf"])],
        f"pf coord {summary(rss['pf_coord'], '{:.1f}')} MiB, worker {summary(rss['pf_worker'], '{:.1f}')} MiB; "
        f"libFuzzer {summary(rss['lf'], '{:.1f}')} MiB", "<1 better")
    row("peak RSS (zlib, 1 worker)", "pf coordinator + worker / AFL++ (afl-fuzz + target)",
        [ratio(a, b + c) for a, b, c in zip(pf_tot, rss["afl_fuzz"], rss["afl_target"])],
        f"afl-fuzz {summary(rss['afl_fuzz'], '{:.1f}')} MiB, target {summary(rss['afl_target'], '{:.1f}')} MiB",
        "<1 better")


def bench_crash(m, raw):
    seeds, cap = m["seeds"], m["cap"]
    for t in CRASH_TARGETS:
        times = {"pf": [], "lf": [], "afl": []}
        found = {"pf": 0, "lf": 0, "afl": 0}
        for s in range(1, seeds + 1):
            for eng in ("pf", "lf", "afl"):
                la = loadavg()
                if eng == "pf":
                    r = run_pf(t, 1, cap, s, extra=["-minimize_crash=0"], limit_pad=5)
                    ok = r["rc"] == 77 or "Test unit written to" in r["out"]
                elif eng == "lf":
                    r = run_lf(t, cap, s, limit_pad=5)
                    ok = any(f.startswith("crash-") or f.startswith("leak-")
                             for f in os.listdir(r["dir"]))
                else:
                    r = run_afl(t, cap, s, cmplog=True, env={"AFL_BENCH_UNTIL_CRASH": "1"},
                                limit=cap + 10)
                    cd = os.path.join(r["dir"], "out", "default", "crashes")
                    ok = os.path.isdir(cd) and any(f.startswith("id:") for f in os.listdir(cd))
                tt = r["wall"] if ok else None
                times[eng].append(tt if ok else float(cap))
                found[eng] += ok
                raw.append(dict(kind="crash", target=t, seed=s, engine=eng, found=ok,
                                wall=round(r["wall"], 3), loadavg=la))
                note(f"crash {t:13s} seed {s} {eng:3s} {'%.2fs' % tt if ok else 'not found'}")
        for peer, name in (("lf", "libFuzzer"), ("afl", "AFL++ (cmplog)")):
            row("time to first crash (1 process, not-found = cap)", f"{t}: pf / {name}",
                [ratio(a, b) for a, b in zip(times["pf"], times[peer])],
                f"median pf {med(times['pf']):.2f}s found {found['pf']}/{seeds}; "
                f"{peer} {med(times[peer]):.2f}s found {found[peer]}/{seeds}; cap {cap}s",
                "<1 better")


def bench_cov(m, raw):
    secs, reps = m["cov_secs"], m["cov_reps"]
    t = "zlib_inflate"
    cov = {"pf1": [], "lf1": [], "afl1": [], "pf2": []}
    for rep in range(reps):
        for name in ("pf1", "lf1", "afl1"):
            la = loadavg()
            if name == "pf1":
                v = run_pf(t, 1, secs, rep + 1)["cov"]
            elif name == "lf1":
                v = run_lf(t, secs, rep + 1)["cov"]
            else:
                v = run_afl(t, secs, rep + 1, cmplog=True)["edges"]
            cov[name].append(v)
            raw.append(dict(kind="cov", target=t, rep=rep, config=name, cov=v, loadavg=la))
            note(f"cov {t} rep {rep} {name} {v}")
    row(f"coverage on zlib inflate after {secs}s (1 process)", "pf cov / libFuzzer cov",
        [ratio(a, b) for a, b in zip(cov["pf1"], cov["lf1"])],
        f"pf {summary(cov['pf1'], '{:.0f}')}, libFuzzer {summary(cov['lf1'], '{:.0f}')} "
        "(both: inline 8-bit counters of the same -fsanitize=fuzzer-no-link build)")
    row(f"coverage on zlib inflate after {secs}s (1 process)",
        "pf cov / AFL++ edges_found (different units!)",
        [ratio(a, b) for a, b in zip(cov["pf1"], cov["afl1"])],
        f"AFL++ edges_found {summary(cov['afl1'], '{:.0f}')} (afl-clang-fast PCGUARD edges incl. "
        "the driver; not the same unit: reference only)")


def bench_restart(m, raw):
    secs, reps = m["rst_secs"], m["rst_reps"]
    pf_ms, lf_ms = [], []
    for rep in range(reps):
        r = run_pf("crash_always", 1, secs, rep + 1, extra=["-keep_going=1", "-minimize_crash=0"])
        n = last_int(r"^INFO: portfuzz: crashes:\s*(\d+)", r["out"], 0)
        pf_ms.append(r["wall"] * 1000 / n if n else None)
        d = fresh("lf-restart")
        rr = Run([binp("lf", "crash_always"), "-fork=1", "-ignore_crashes=1",
                  f"-max_total_time={secs}", f"-seed={rep + 1}", f"-artifact_prefix={d}/"],
                 d, limit=secs + 20)
        k = last_int(r"oom/timeout/crash: \d+/\d+/(\d+)", rr.out, 0)
        lf_ms.append(rr.wall * 1000 / k if k else None)
        raw.append(dict(kind="restart", rep=rep, pf_crashes=n, pf_wall=r["wall"], lf_crashes=k,
                        lf_wall=rr.wall))
        note(f"restart rep {rep}: pf {n} crashes, libFuzzer -fork=1 {k} crashes in {secs}s")
    row("worker crash -> restarted worker running again", "pf -keep_going / libFuzzer -fork=1 -ignore_crashes",
        [ratio(a, b) for a, b in zip(pf_ms, lf_ms)],
        f"cycle (crash, save, restart, next exec): pf {summary(pf_ms, '{:.2f}')} ms, "
        f"libFuzzer {summary(lf_ms, '{:.1f}')} ms", "<1 better")


# ------------------------------------------------------------------ main

def machine():
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ver = lambda argv: (subprocess.run(argv, capture_output=True, text=True).stdout or
                        "").splitlines()[0:1]
    clang = ver(["clang", "--version"])
    afl = subprocess.run(["afl-fuzz", "-h"], capture_output=True, text=True)
    aflv = re.search(r"afl-fuzz\+*(\d[\w.]*)", re.sub(r"\x1b\[[0-9;]*m", "", afl.stdout + afl.stderr))
    rev = subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(__file__)), "rev-parse",
                          "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    return dict(nproc=os.cpu_count(), cpu=cpu, kernel=platform.release(),
                clang=clang[0] if clang else "?", afl=aflv.group(1) if aflv else "?",
                portfuzz_rev=rev)


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=MODES, default="quick")
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--command", default="bench/run.sh")
    ap.add_argument("--only", default="exec,crash,cov,restart")
    ARGS = ap.parse_args()
    ARGS.bin, ARGS.work = os.path.abspath(ARGS.bin), os.path.abspath(ARGS.work)
    m = MODES[ARGS.mode]
    os.makedirs(ARGS.work, exist_ok=True)
    t0 = time.monotonic()
    start = datetime.datetime.now()
    mi = machine()
    raw = []
    only = ARGS.only.split(",")
    if "exec" in only:
        bench_exec(m, raw)
    if "crash" in only:
        bench_crash(m, raw)
    if "cov" in only:
        bench_cov(m, raw)
    if "restart" in only:
        bench_restart(m, raw)
    elapsed = time.monotonic() - t0
    loads = [r["loadavg"] for r in raw if "loadavg" in r]

    say(f"# portfuzz benchmark ({ARGS.mode})")
    say(f"date: {start:%Y-%m-%d %H:%M} ({elapsed / 60:.1f} min)   command: {ARGS.command}")
    say(f"machine: nproc={mi['nproc']}, CPU: {mi['cpu']}, Linux {mi['kernel']}")
    say(f"engines: portfuzz {mi['portfuzz_rev']}; libFuzzer from {mi['clang']}; AFL++ {mi['afl']}")
    say(f"settings: {json.dumps(m)}")
    if loads:
        say(f"1-min load average before runs: median {statistics.median(loads):.2f}, "
            f"max {max(loads):.2f} (2 = both cores busy besides us)")
    say("")
    say("ratio = portfuzz / peer, paired within each round; median (min–max) over rounds/seeds")
    say("")
    sec = None
    order = []
    for r in ROWS:
        if r[0] not in order:
            order.append(r[0])
    for s, label, rs, better, det in sorted(ROWS, key=lambda r: order.index(r[0])):
        if s != sec:
            say(f"## {s}")
            say(f"| comparison | ratio | | absolute (medians) |")
            say(f"|---|---|---|---|")
            sec = s
        say(f"| {label} | {rs} | {better} | {det} |")
    stamp = f"{start:%Y-%m-%dT%H%M}"
    os.makedirs(ARGS.results, exist_ok=True)
    with open(os.path.join(ARGS.results, f"{stamp}-{ARGS.mode}.txt"), "w") as f:
        f.write("\n".join(LOG) + "\n")
    with open(os.path.join(ARGS.results, f"{stamp}-{ARGS.mode}.json"), "w") as f:
        json.dump(dict(machine=mi, mode=ARGS.mode, settings=m, command=ARGS.command,
                       raw=raw), f, indent=1)
    say(f"\nwritten: bench/results/{stamp}-{ARGS.mode}.txt (+ .json with every run)")


if __name__ == "__main__":
    main()

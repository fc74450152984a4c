#!/usr/bin/env python3
"""perf-categories.py PERF_DATA EXECUTIONS: a perf profile's self time grouped as
bench/PROFILE-real.md groups it (symbol patterns below), as shares and as
microseconds of cpu-clock per execution."""
import sys, re, subprocess, collections
def cat(dso, sym):
    if dso.startswith("[kernel"): return "kernel"
    if re.search(r"__sanitizer_cov_trace_(cmp|const_cmp|switch|div|gep)|__sanitizer_weak_hook|pfz__cmp_record", sym): return "cmp hooks + TORC"
    if "trace_pc_indir" in sym: return "other sancov callbacks"
    if re.search(r"pfz__cov_collect|scan_counters|ForEachNonZeroByte|CollectFeatures|RunOne.*\$_|UpdateFeatureFrequency|AddRareFeature|UpdateObservedPCs|pfz__featset|pfz__cov_has_all|TracePC::|DistributionNeedsUpdate", sym): return "counter scan + features"
    if re.search(r"pfz__mutat|mutate_builtin|mut_|MutationDispatcher|pfz__dict", sym): return "mutator"
    if re.search(r"pfz__sched|InputCorpus::ChooseUnit|UpdateCorpusDistribution|piecewise|discrete_distribution|generate_canonical|mersenne", sym): return "scheduler"
    if re.search(r"^(malloc|_int_malloc|_int_free|cfree|free|malloc_consolidate|__libc_malloc|__memmove|__memset|__memcpy|__memcmp|unlink_chunk|tcache)", sym): return "libc malloc/free/mem* (target + engine)"
    if re.search(r"pfz__|fuzzer::|run_value|fuzz_loop|take_inbox|apr_", sym): return "engine, other"
    return "target code"
f = sys.argv[1]; runs = int(sys.argv[2])
out = subprocess.run(["perf", "report", "-i", f, "--no-children", "--sort", "dso,symbol", "-g", "none", "--stdio"], capture_output=True, text=True).stdout
tot = collections.Counter()
nsamp = re.search(r"# Samples: (\S+)", out).group(1)
for line in out.splitlines():
    m = re.match(r"\s+([0-9.]+)%\s+(\S+)\s+\[(.)\]\s+(.*?)\s*(-\s+-\s*)?$", line)
    if m:
        tot[cat(m.group(2), m.group(4))] += float(m.group(1))
ns = int(re.search(r"# Event count \(approx.\): (\d+)", out).group(1)); us = ns / 1000.0 / runs
print("%s (%s samples, %.1f us CPU per execution)" % (f, nsamp, us))
for k, v in tot.most_common():
    print("  %-42s %5.1f%% %6.1f us" % (k, v, v * us / 100))

"""Assemble the single JSON report of bench/peers/run.

Input: the results file written by `run` (tab-separated: part, variant, N,
JSON-or-null, reason) and the sizes. A gwsim row points (after '@') at the
Google Benchmark JSON output of `gwsim_bench --benchmark_filter='^BM_Hold/'`.
"""

import json
import os
import re
import subprocess
import sys

NS3_SCHEDULERS = ["map", "heap", "calendar", "priority_queue", "list"]


def gwsim_rates(path, sizes):
    """events/s per size from Google Benchmark JSON.

    Google Benchmark's items_per_second divides by CPU time; the peers divide
    by wall time, so the reported rate is items / real_time, i.e.
    items_per_second * cpu_time / real_time. With repetitions the best run
    counts, as for the peers (PEERS_REPEAT).
    """
    with open(path) as f:
        doc = json.load(f)
    wall, cpu = {}, {}
    rows = doc.get("benchmarks", [])
    plain = [b for b in rows if b.get("run_type", "iteration") == "iteration"]
    for b in plain or rows:
        m = re.match(r"^BM_Hold/(\d+)(?:/|$)", b.get("name", ""))
        if not m or "items_per_second" not in b:
            continue
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue  # only reached when a file holds aggregates alone
        n = m.group(1)
        ips = float(b["items_per_second"])
        ct, rt = b.get("cpu_time"), b.get("real_time")
        w = ips * float(ct) / float(rt) if ct and rt else ips
        wall.setdefault(n, []).append(w)
        cpu.setdefault(n, []).append(ips)
    out_wall = {str(n): _best(wall.get(str(n))) for n in sizes}
    out_cpu = {str(n): _best(cpu.get(str(n))) for n in sizes}
    return out_wall, out_cpu, doc.get("context", {})


def gwsim_path_rates(path, sizes):
    """Radix path-only figures per size from Google Benchmark JSON.

    Returns ({N: matches per wall second}, {N: build seconds}, {N: bytes per
    route}) from BM_RadixPathOnlyMatch/<N> and BM_RadixPathOnlyBuild/<N>;
    with repetitions the best run counts.
    """
    with open(path) as f:
        doc = json.load(f)
    rate, build, size = {}, {}, {}
    to_s = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
    for b in doc.get("benchmarks", []):
        if b.get("run_type", "iteration") != "iteration":
            continue
        m = re.match(r"^BM_RadixPathOnly(Match|Build)/(\d+)(?:/|$)", b.get("name", ""))
        if not m or "items_per_second" not in b:
            continue
        n = m.group(2)
        rt = float(b["real_time"]) * to_s.get(b.get("time_unit", "ns"), 1e-9)
        if m.group(1) == "Match":
            rate.setdefault(n, []).append(1.0 / rt if rt else None)
        else:
            build.setdefault(n, []).append(rt)
            if "bytes_per_route" in b:
                size[n] = float(b["bytes_per_route"])
    keys = [str(n) for n in sizes]
    return ({k: _best([x for x in rate.get(k, []) if x]) for k in keys},
            {k: (min(build[k]) if build.get(k) else None) for k in keys},
            {k: size.get(k) for k in keys})


def _best(xs):
    return float(max(xs)) if xs else None


def _per(events, seconds):
    return round(events / seconds) if seconds else None


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return round(a / b, 3)


def at_least(x, bound):
    return None if x is None else bool(x >= bound)


def rnd(x):
    return None if x is None else round(x)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def load_avg():
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _float(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def deb_version(pkg):
    try:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", pkg],
            capture_output=True, text=True, check=False,
        )
        return out.stdout.strip() or None
    except OSError:
        return None


def main(argv):
    results_path = argv[1]
    sizes = [int(s) for s in argv[2:]] or [1000, 100000, 1000000]
    keys = [str(n) for n in sizes]

    gwsim = {k: None for k in keys}
    gwsim_cpu = {k: None for k in keys}
    ns3 = {s: {} for s in NS3_SCHEDULERS}
    ns3_rng = None
    simpy2 = {k: None for k in keys}
    r3_sizes = [int(s) for s in os.environ.get("R3_SIZES", "1000 10000 50000").split()]
    r3_keys = [str(n) for n in r3_sizes]
    radix_paths = {k: None for k in r3_keys}
    radix_build = {k: None for k in r3_keys}
    radix_bytes = {k: None for k in r3_keys}
    r3 = {k: None for k in r3_keys}
    r3_build = {k: None for k in r3_keys}
    reasons = {}
    details = {}

    with open(results_path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            part, variant, n, payload, reason = (line.split("\t", 4) + [""] * 5)[:5]
            if part == "gwsim":
                if payload.startswith("@"):
                    gwsim, gwsim_cpu, ctx = gwsim_rates(payload[1:], sizes)
                    for k in keys:
                        if gwsim[k] is None:
                            reasons["gwsim/" + k] = "BM_Hold/%s not in gwsim_bench output" % k
                    details["gwsim_library_build_type"] = ctx.get("library_build_type")
                else:
                    for k in keys:
                        reasons["gwsim/" + k] = reason
                continue
            if part == "ns3":
                targets = NS3_SCHEDULERS[:4] if variant == "all" else [variant]
                for s in targets:
                    if payload == "null":
                        ns3[s][n] = None
                        reasons["ns3/%s/%s" % (s, n)] = reason
                    else:
                        r = json.loads(payload)
                        ns3[s][n] = float(r["events_per_second"])
                        ns3_rng = r.get("rng", ns3_rng)
                        details["ns3/%s/%s" % (s, n)] = {
                            "events": r["events"], "seconds": r["seconds"],
                            "events_per_cpu_second": _per(r["events"], r.get("cpu_seconds")),
                            "warmup_events": r["warmup_events"],
                        }
                continue
            if part == "gwsim_paths":
                if payload.startswith("@"):
                    radix_paths, radix_build, radix_bytes = gwsim_path_rates(payload[1:], r3_sizes)
                    for k in r3_keys:
                        if radix_paths[k] is None:
                            reasons["gwsim_radix_paths/" + k] = "BM_RadixPathOnlyMatch/%s not in gwsim_bench output" % k
                else:
                    for k in r3_keys:
                        reasons["gwsim_radix_paths/" + k] = reason
                continue
            if part == "r3":
                if payload == "null":
                    reasons["r3/" + n] = reason
                else:
                    r = json.loads(payload)
                    r3[n] = float(r["matches_per_second"])
                    r3_build[n] = float(r["build_seconds"])
                    details["r3/" + n] = {
                        "paths": r["paths"], "matches": r["matches"], "seconds": r["seconds"],
                        "matches_per_cpu_second": _per(r["matches"], r.get("cpu_seconds")),
                        "wrong": r["wrong"],
                    }
                continue
            if part == "simpy2":
                if payload == "null":
                    simpy2[n] = None
                    reasons["simpy2/" + n] = reason
                else:
                    r = json.loads(payload)
                    simpy2[n] = float(r["events_per_second"])
                    details["simpy2/" + n] = {
                        "events": r["events"], "seconds": r["seconds"],
                        "events_per_cpu_second": _per(r["events"], r.get("cpu_seconds")),
                        "setup_seconds": r["setup_seconds"],
                    }

    # Keep the three sizes for the main schedulers; ListScheduler only where run.
    for s in NS3_SCHEDULERS[:4]:
        for k in keys:
            ns3[s].setdefault(k, None)
    ns3 = {s: {k: rnd(v) for k, v in sorted(d.items(), key=lambda kv: int(kv[0]))}
           for s, d in ns3.items() if d}

    ns3_best, ns3_best_scheduler = {}, {}
    for k in keys:
        cands = [(v, s) for s, d in ns3.items() if d.get(k) is not None for v in [d[k]]]
        if cands:
            v, s = max(cands)
            ns3_best[k], ns3_best_scheduler[k] = v, s
        else:
            ns3_best[k], ns3_best_scheduler[k] = None, None

    gw = gwsim
    ns3_map = ns3.get("map", {})
    report = {
        "gwsim": {k: rnd(v) for k, v in gw.items()},
        "ns3": ns3,
        "ns3_best": ns3_best,
        "ns3_best_scheduler": ns3_best_scheduler,
        "simpy2": {k: rnd(v) for k, v in simpy2.items()},
        "ratios": {
            "gwsim/ns3_best": {k: ratio(gw[k], ns3_best[k]) for k in keys},
            "gwsim/ns3_map": {k: ratio(gw[k], ns3_map.get(k)) for k in keys},
            "gwsim/simpy2": {k: ratio(gw[k], simpy2[k]) for k in keys},
            "gwsim_radix/r3_match": {k: ratio(radix_paths[k], r3[k]) for k in r3_keys},
            "r3/gwsim_radix_build_time": {k: ratio(r3_build[k], radix_build[k]) for k in r3_keys},
        },
        "paths": {
            "gwsim_radix_matches_per_second": {k: rnd(v) for k, v in radix_paths.items()},
            "r3_matches_per_second": {k: rnd(v) for k, v in r3.items()},
            "gwsim_radix_build_seconds": radix_build,
            "r3_build_seconds": r3_build,
            "gwsim_radix_bytes_per_route": radix_bytes,
        },
        "targets": {
            "hold_1e3_eps>=20e6": at_least(gw.get("1000"), 20e6),
            "gwsim/ns3_best_1e3>=4": at_least(ratio(gw.get("1000"), ns3_best.get("1000")), 4),
            "hold_1e6_eps>=6e6": at_least(gw.get("1000000"), 6e6),
            "gwsim/simpy2_1e3>=30": at_least(ratio(gw.get("1000"), simpy2.get("1000")), 30),
            "gwsim_radix/r3_match>=1": (None if any(ratio(radix_paths[k], r3[k]) is None for k in r3_keys)
                                        else all(ratio(radix_paths[k], r3[k]) >= 1 for k in r3_keys)),
        },
        "reasons": reasons,
        "method": {
            "metric": "events processed / wall time, after an untimed warm-up of >= N events",
            "gwsim": "BM_Hold items / real_time (Google Benchmark items_per_second is per CPU second: see gwsim_items_per_second)",
            "ns3_rng": ns3_rng,
            "simpy2_rng": "random.Random.expovariate",
            "peer_window_seconds": float(os.environ.get("PEERS_SECONDS", "1.0")),
            "repeat_best_of": int(os.environ.get("PEERS_REPEAT", "1")),
        },
        "gwsim_items_per_second": {k: rnd(v) for k, v in gwsim_cpu.items()},
        "versions": {
            "ns3": deb_version("libns3-dev"),
            "simpy": deb_version("python3-simpy"),
            "r3": deb_version("libr3-dev"),
            "python": sys.version.split()[0],
        },
        "details": details,
        "machine": {
            "cores": os.cpu_count(),
            "cpu": cpu_model(),
            "load_avg_1m_start": _float(os.environ.get("PEERS_LOAD_START")),
            "load_avg_1m_end": load_avg(),
        },
    }
    json.dump(report, sys.stdout, sort_keys=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

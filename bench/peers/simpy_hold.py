"""Classic HOLD model in SimPy 2 (Debian's python3-simpy, SimPy 2.3).

N processes each loop on ``yield hold, self, expovariate(1.0)``, so N event
notices are pending at all times; this is the canonical SimPy hold benchmark.

The run is driven by a single ``simulate()`` call. A sentinel process first
holds through an untimed warm-up (at least max(N, 200000) events on average,
since the N processes together produce N events per unit of simulated time),
then wakes every ~10000 events to read the wall clock, and after at least
SECONDS of timed processing stops the simulation. The hold processes count
their events in a module-level integer; the sentinel's own few wake-ups are
not counted.

Usage: python3 simpy_hold.py N [SECONDS]
Prints one JSON object on stdout.
"""

import json
import random
import sys
import time

from SimPy.Simulation import (
    Process,
    activate,
    hold,
    initialize,
    now,
    simulate,
    stopSimulation,
)

events = 0


class Holder(Process):
    def run(self, expovariate):
        global events
        while True:
            events += 1
            yield hold, self, expovariate(1.0)


class Sentinel(Process):
    def __init__(self, warmup_time, check_every, min_seconds):
        Process.__init__(self)
        self.warmup_time = warmup_time
        self.check_every = check_every
        self.min_seconds = min_seconds
        self.result = None

    def run(self):
        yield hold, self, self.warmup_time
        start_events = events
        start_wall = time.perf_counter()
        start_cpu = time.process_time()
        while True:
            yield hold, self, self.check_every
            elapsed = time.perf_counter() - start_wall
            if elapsed >= self.min_seconds:
                cpu = time.process_time() - start_cpu
                self.result = (events - start_events, elapsed, cpu)
                stopSimulation()
                return


def main(argv):
    if len(argv) < 2:
        print("usage: simpy_hold.py N [SECONDS]", file=sys.stderr)
        return 2
    n = int(argv[1])
    min_seconds = float(argv[2]) if len(argv) > 2 else 1.0
    if n <= 0:
        print("N must be positive", file=sys.stderr)
        return 2

    rng = random.Random(12345)
    expovariate = rng.expovariate

    setup_start = time.perf_counter()
    initialize()
    for _ in range(n):
        p = Holder()
        activate(p, p.run(expovariate), delay=expovariate(1.0))
    # N events per unit of simulated time.
    warmup_time = max(n, 200000) / n
    sentinel = Sentinel(warmup_time, 10000.0 / n, min_seconds)
    activate(sentinel, sentinel.run())
    setup_seconds = time.perf_counter() - setup_start

    simulate(until=1e18)
    if sentinel.result is None:
        print("simulation ended before the timed window completed", file=sys.stderr)
        return 1
    processed, elapsed, cpu_seconds = sentinel.result
    print(
        json.dumps(
            {
                "n": n,
                "events": processed,
                "seconds": round(elapsed, 6),
                "events_per_second": processed / elapsed,
                "cpu_seconds": round(cpu_seconds, 6),
                "setup_seconds": round(setup_seconds, 6),
                "sim_time": now(),
                "python": sys.version.split()[0],
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

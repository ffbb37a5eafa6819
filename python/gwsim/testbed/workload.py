"""The testbed's request stream, described in the simulator's terms.

The simulator draws each request's route from a Zipf popularity and keys the
workers' match caches by route, except for a share of requests whose cache
key is new (``traffic.unique_key_fraction``: an id in the path, a wildcard
host's random name). The testbed sends concrete requests: its stream of
``rate x duration`` requests (the experiment's list, cycled) has repeating
keys and keys seen once, and requests aimed at no route (:func:`aimed_at_a_route`:
the simulator's ``traffic.no_route_fraction``; they keep their misses out of
the match cache). Among the requests aimed at a route,
:func:`unique_key_fraction` finds the share of one-time keys for which the simulator's stream of the same length would
hold as many keys seen once as the testbed's does: a description of the
traffic, like its Zipf exponent, not a fit of any result. The hit ratio the
caches then reach is the model's prediction.
"""

from __future__ import annotations

import collections
import math
from typing import Any, Hashable, Iterable, Mapping, Sequence

__all__ = ["aimed_at_a_route", "cache_key", "expected_singleton_share", "singleton_share", "stream_of", "unique_key_fraction"]


def cache_key(request: Any) -> Hashable:
    """What the testbed router's match cache keys a request by: method, path, host and its headers."""
    headers = request.headers if hasattr(request, "headers") else request["headers"]
    get = (lambda k: getattr(request, k)) if hasattr(request, "method") else request.__getitem__
    return get("method"), get("path"), get("host"), tuple(sorted((str(k).lower(), v) for k, v in headers))


def singleton_share(keys: Iterable[Hashable]) -> float:
    """Share of a stream's requests whose key occurs once in it (0 for an empty stream)."""
    keys = list(keys)
    if not keys:
        return 0.0
    counts = collections.Counter(keys)
    return sum(1 for k in keys if counts[k] == 1) / len(keys)


def _zipf(routes: int, s: float) -> list[float]:
    w = [(i + 1) ** -s for i in range(routes)]
    total = math.fsum(w)
    return [x / total for x in w]


def expected_singleton_share(u: float, popularity: Sequence[float], n: int) -> float:
    """Expected share of keys seen once among n requests of the simulator's stream.

    A request is one-time with probability u (seen once), else it repeats route i's key with probability
    (1 - u) p_i: E[singletons] / n = u + sum_i q_i (1 - q_i)^(n - 1), q_i = (1 - u) p_i.
    """
    if n <= 0:
        return 0.0
    return u + math.fsum((1 - u) * p * (1 - (1 - u) * p) ** (n - 1) for p in popularity)


def unique_key_fraction(keys: Sequence[Hashable], routes: int, zipf_s: float) -> float:
    """traffic.unique_key_fraction for a stream of cache keys over `routes` routes of Zipf(`zipf_s`) popularity.

    The u in [0, 1] at which the simulator's stream of ``len(keys)`` requests holds the stream's share of keys
    seen once (bisection; the share grows with u). 0 when the stream repeats its keys at least as much as
    route keys alone would, 1 when every key is new.
    """
    if routes < 1:
        raise ValueError(f"routes must be >= 1, got {routes!r}")
    if not (math.isfinite(zipf_s) and zipf_s >= 0):
        raise ValueError(f"zipf_s must be a finite number >= 0, got {zipf_s!r}")
    n = len(keys)
    if n == 0:
        return 0.0
    target = singleton_share(keys)
    popularity = _zipf(routes, zipf_s)
    if target <= expected_singleton_share(0.0, popularity, n):
        return 0.0
    if target >= 1.0:
        return 1.0
    lo, hi = 0.0, 1.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if expected_singleton_share(mid, popularity, n) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def aimed_at_a_route(config: Mapping[str, Mapping[str, Any]], requests: Sequence[Any]) -> list[bool]:
    """Whether each request finds a route of the experiment's route set (Kong 2.x's rules, gwsim's C++ router)."""
    from .. import _core
    from .experiment import _routes_and_requests

    routes, _ = _routes_and_requests(config)
    distinct = list(dict.fromkeys(requests))
    ids = _core.RouteSet.from_routes(routes).match_ids(
        "traditional", [{"method": r.method, "host": r.host, "path": r.path, "headers": list(r.headers)}
                        for r in distinct])
    found = {r: i is not None for r, i in zip(distinct, ids)}
    return [found[r] for r in requests]


def stream_of(config: Mapping[str, Mapping[str, Any]]) -> list[Any]:
    """The requests an experiment sends: its list cycled to rate x duration (as the load generator does)."""
    from .experiment import _routes_and_requests

    _, requests = _routes_and_requests(config)
    load = config["load"]
    n = max(1, int(round(float(load["rate_per_s"]) * float(load["duration_s"]))))
    return [requests[k % len(requests)] for k in range(n)]

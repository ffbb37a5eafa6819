"""An open-loop HTTP load generator for the testbed gateway, on loopback.

Requests are sent on a fixed schedule (request k at ``k / rate_per_s``
seconds), whatever the gateway's state: a stalled worker does not slow the
client down, so the latencies it causes are measured, not hidden
(coordinated omission). Each request's latency runs from its scheduled
time to the end of its response. Requests go over a pool of persistent
HTTP/1.1 connections; when every connection is busy a new one is opened, up
to ``max_connections``; beyond that the request is counted as ``dropped``.
A request without a complete response within ``timeout_s`` counts as a
timeout and its connection is closed.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

__all__ = ["Request", "Outcome", "run_open_loop"]


@dataclass(frozen=True)
class Request:
    """One request of the stream."""

    path: str
    method: str = "GET"
    host: str = "gateway.example.org"
    headers: tuple[tuple[str, str], ...] = ()

    def encode(self) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {self.host}"]
        lines += [f"{k}: {v}" for k, v in self.headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()


@dataclass(frozen=True)
class Outcome:
    """What happened to one request.

    ``scheduled_s`` is its send time from the start of the run; ``latency_s``
    the time from then to the end of its response (None for timeouts and
    drops); ``status`` the HTTP status, 0 for a timeout or a broken
    connection, -1 for a request dropped because no connection was free.
    """

    scheduled_s: float
    latency_s: Optional[float]
    status: int
    route: Optional[int]


async def _read_response(reader: asyncio.StreamReader, head_only: bool) -> tuple[int, Optional[int]]:
    """Status and route id of one response; the body is read unless the request was HEAD (or none can follow)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    route = None
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "x-gwsim-route":
            route = int(value)
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if head_only or status in (204, 304) or 100 <= status < 200:
        return status, route
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status, route


async def _run(port: int, requests: Sequence[Request], rate_per_s: float, duration_s: float, connections: int,
               max_connections: int, timeout_s: float) -> list[Outcome]:
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    for _ in range(connections):
        idle.append(await asyncio.open_connection("127.0.0.1", port))
    open_count = len(idle)
    outcomes: list[Outcome] = []
    tasks = []
    loop = asyncio.get_running_loop()
    start = loop.time()
    n = int(duration_s * rate_per_s)

    async def one(k: int, scheduled: float) -> None:
        nonlocal open_count
        req = requests[k % len(requests)]
        if idle:
            conn = idle.pop()
        elif open_count < max_connections:
            open_count += 1
            try:
                conn = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                open_count -= 1
                outcomes.append(Outcome(scheduled - start, None, 0, None))
                return
        else:
            outcomes.append(Outcome(scheduled - start, None, -1, None))
            return
        reader, writer = conn
        try:
            writer.write(req.encode())
            status, route = await asyncio.wait_for(_read_response(reader, req.method == "HEAD"), timeout_s)
            outcomes.append(Outcome(scheduled - start, loop.time() - scheduled, status, route))
            idle.append(conn)
        except (asyncio.TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            outcomes.append(Outcome(scheduled - start, None, 0, None))
            writer.close()
            open_count -= 1

    for k in range(n):
        scheduled = start + k / rate_per_s
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(k, scheduled)))
    if tasks:
        await asyncio.gather(*tasks)
    for _, writer in idle:
        writer.close()
    outcomes.sort(key=lambda o: o.scheduled_s)
    return outcomes


def run_open_loop(port: int, requests: Sequence[Request], rate_per_s: float, duration_s: float, *,
                  connections: int = 8, max_connections: int = 1024, timeout_s: float = 10.0) -> list[Outcome]:
    """Send ``duration_s * rate_per_s`` requests, cycling through `requests`, at a fixed rate; their outcomes.

    Raises
    ------
    ValueError
        Naming the argument, when a number is out of range or `requests` is empty.
    """
    if not requests:
        raise ValueError("requests must not be empty")
    checks: Mapping[str, tuple[float, float, float]] = {
        "rate_per_s": (rate_per_s, 0.1, 100_000),
        "duration_s": (duration_s, 0.01, 3_600),
        "connections": (connections, 1, 10_000),
        "max_connections": (max_connections, connections, 10_000),
        "timeout_s": (timeout_s, 0.01, 600),
    }
    for name, (value, lo, hi) in checks.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
            raise ValueError(f"{name} must be in [{lo}, {hi}], got {value!r}")
    return asyncio.run(_run(port, requests, float(rate_per_s), float(duration_s), int(connections),
                            int(max_connections), float(timeout_s)))

"""The testbed gateway: a real nginx + LuaJIT gateway on loopback, started and stopped by the harness.

:class:`Gateway` renders ``testbed/nginx/nginx.conf.in`` for one
:class:`GatewaySettings`, starts Debian's nginx with the Lua module on
127.0.0.1 (free ports chosen at start), loads the routes through the admin
API, waits until every worker has built its router, and stops every process
it started when it stops, also on errors and at interpreter exit. With a
memory limit, nginx runs in a memory cgroup (:mod:`gwsim.testbed.cgroup`)
and the kernel's OOM killer acts at the limit.

Examples
--------
>>> from gwsim.testbed import Gateway, GatewaySettings
>>> with Gateway(GatewaySettings(workers=2)).start(routes) as gw:   # doctest: +SKIP
...     gw.request("/v1/users")          # (200, 17): status and route id
...     gw.write("noop")                 # every worker rebuilds
"""

from __future__ import annotations

import atexit
import http.client
import json
import os
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

from .cgroup import MemoryCgroup

__all__ = ["Gateway", "GatewaySettings", "GatewayUnavailable", "find_nginx"]

_REPO = Path(__file__).resolve().parents[3]
_TEMPLATE = _REPO / "testbed" / "nginx" / "nginx.conf.in"
#: lua_regex_cache_max_entries of the testbed's nginx: Kong 2.x's setting.
REGEX_CACHE_ENTRIES = 1024
_LUA_DIR = _REPO / "testbed" / "lua"
_LUA_MODULE = Path("/usr/lib/nginx/modules/ngx_http_lua_module.so")
_PACKAGES = "nginx-core libnginx-mod-http-lua lua-resty-core lua-resty-lrucache lua-cjson"


class GatewayUnavailable(RuntimeError):
    """The real gateway cannot run here (nginx or its Lua module missing)."""


def find_nginx() -> str:
    """Path of Debian's nginx with the Lua module; GatewayUnavailable naming the packages otherwise."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None or not _LUA_MODULE.exists():
        raise GatewayUnavailable(f"the testbed needs nginx with the Lua module: install the Debian packages "
                                 f"{_PACKAGES} (scripts/setup.sh does)")
    return nginx


@dataclass
class GatewaySettings:
    """One configuration of the real gateway.

    Attributes
    ----------
    workers : int
        nginx worker processes (1-64).
    mode : str
        ``"strict"`` (the first request seeing a stale router rebuilds it,
        others wait) or ``"eventual"`` (a timer rebuilds in the background).
    update_frequency_s : float
        Eventual mode's timer period in seconds (0.01-60; Kong: 5).
    yield_every : int
        0: builds never yield (Kong < 2.7); n: yield every n routes (Kong
        2.7+: 1,000). 0-1,000,000.
    cache_slots : int
        Slots of the match cache every build allocates (1-10^6; Kong 2.x:
        5,000).
    gc_pause, gc_stepmul : int
        LuaJIT collector pause and step multiplier, in percent (10-1000;
        defaults 200, 200).
    lock_timeout_s : float
        Strict mode's longest wait for a rebuild, seconds (0.01-60; Kong's
        pg_timeout, 5).
    memory_limit_bytes : int or None
        The pod memory limit (a memory cgroup), None for none.
    config_dict_size_mb : int
        Size of the shared dict holding the routes, MiB (1-4096).
    router : str
        ``"traditional"`` (every version a full build, Kong 2.x) or
        ``"incremental"`` (the changed routes updated in place, the match
        cache flushed, Kong 3.x's design; full builds only at start, for a
        replaced configuration or a service update).
    """

    workers: int = 2
    mode: str = "eventual"
    update_frequency_s: float = 5.0
    yield_every: int = 1000
    cache_slots: int = 5000
    gc_pause: int = 200
    gc_stepmul: int = 200
    lock_timeout_s: float = 5.0
    memory_limit_bytes: Optional[int] = None
    config_dict_size_mb: int = 128
    router: str = "traditional"

    def validate(self) -> "GatewaySettings":
        """Return self; ValueError naming the field and its allowed range when one is out of range."""

        def integer(name: str, lo: int, hi: int) -> None:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {v!r}")

        def number(name: str, lo: float, hi: float) -> None:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
                raise ValueError(f"{name} must be a number in [{lo}, {hi}], got {v!r}")

        integer("workers", 1, 64)
        if self.mode not in ("strict", "eventual"):
            raise ValueError(f"mode must be 'strict' or 'eventual', got {self.mode!r}")
        number("update_frequency_s", 0.01, 60)
        integer("yield_every", 0, 1_000_000)
        integer("cache_slots", 1, 1_000_000)
        integer("gc_pause", 10, 1000)
        integer("gc_stepmul", 10, 1000)
        number("lock_timeout_s", 0.01, 60)
        if self.memory_limit_bytes is not None:
            integer("memory_limit_bytes", 4 << 20, 1 << 40)
        integer("config_dict_size_mb", 1, 4096)
        if self.router not in ("traditional", "incremental"):
            raise ValueError(f"router must be 'traditional' or 'incremental', got {self.router!r}")
        return self

    def lua_settings(self, routes_file: str = "") -> dict[str, Any]:
        """The settings gateway.lua reads (`routes_file`: the routes the store starts with)."""
        return {
            "routes_file": routes_file,
            "mode": self.mode,
            "update_frequency_s": self.update_frequency_s,
            "yield_every": self.yield_every,
            "cache_slots": self.cache_slots,
            "gc_pause": self.gc_pause,
            "gc_stepmul": self.gc_stepmul,
            "lock_timeout_s": self.lock_timeout_s,
            "router": self.router,
        }


def _free_ports(n: int) -> list[int]:
    """n distinct free TCP ports on 127.0.0.1 (bound, read, released)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _clean_route(route: Mapping[str, Any]) -> dict[str, Any]:
    """A route dict as the Lua side expects it: no None values, headers as name -> list of values."""
    out: dict[str, Any] = {}
    for key, value in route.items():
        if value is None:
            continue
        if key == "headers" and isinstance(value, list):
            value = {str(name).lower(): list(values) for name, values in value}
        out[key] = value
    return out


_RUNNING: "set[Gateway]" = set()


@atexit.register
def _stop_all() -> None:  # pragma: no cover - interpreter exit
    for gw in list(_RUNNING):
        gw.stop()


@dataclass
class _Ports:
    proxy: int
    admin: int
    upstream: int


class Gateway:
    """The real gateway for one :class:`GatewaySettings`; a context manager that always stops it.

    Parameters
    ----------
    settings : GatewaySettings, optional
        Defaults to ``GatewaySettings()``.
    workdir : str or Path, optional
        Where nginx's prefix (config, logs, pid) goes; a fresh temporary
        directory, removed at stop, when not given.
    """

    def __init__(self, settings: Optional[GatewaySettings] = None, *, workdir: Optional[os.PathLike[str] | str] = None):
        self.settings = (settings or GatewaySettings()).validate()
        self.nginx = find_nginx()
        self._own_workdir = workdir is None
        self.prefix = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="gwsim-testbed-"))
        self.ports: Optional[_Ports] = None
        self.process: Optional[subprocess.Popen[bytes]] = None
        self.cgroup: Optional[MemoryCgroup] = None
        self.cgroup_note = ""

    # ---- lifecycle -----------------------------------------------------

    def _render(self) -> Path:
        assert self.ports is not None
        self.prefix.mkdir(parents=True, exist_ok=True)
        # Workers run as nobody when nginx starts as root: they must reach
        # the prefix (logs stay the master's) and the Lua code, which is
        # copied there (the checkout may sit in a directory only root reads).
        self.prefix.chmod(0o755)
        lua_dir = self.prefix / "lua"
        shutil.rmtree(lua_dir, ignore_errors=True)
        shutil.copytree(_LUA_DIR, lua_dir)
        for d in [lua_dir, *(p for p in lua_dir.rglob("*") if p.is_dir())]:
            d.chmod(0o755)
        for f in (p for p in lua_dir.rglob("*") if p.is_file()):
            f.chmod(0o644)
        user = "user nobody nogroup;" if os.geteuid() == 0 else ""
        text = string.Template(_TEMPLATE.read_text()).substitute(
            workers=self.settings.workers,
            prefix=str(self.prefix),
            user_directive=user,
            lua_dir=str(lua_dir),
            config_dict_size=f"{self.settings.config_dict_size_mb}m",
            regex_cache_entries=REGEX_CACHE_ENTRIES,
            settings_json=json.dumps(self.settings.lua_settings(str(self.prefix / "routes.json"))),
            upstream_port=self.ports.upstream,
            proxy_port=self.ports.proxy,
            admin_port=self.ports.admin,
        )
        conf = self.prefix / "nginx.conf"
        conf.write_text(text)
        return conf

    def start(self, routes: Iterable[Mapping[str, Any]], timeout_s: float = 60.0) -> "Gateway":
        """Start nginx with `routes` (dicts with integer ids) and wait until every worker has built its router.

        Raises
        ------
        RuntimeError
            If nginx exits or does not answer within `timeout_s` (the message
            carries the end of its error log); everything started is stopped.
        """
        if self.process is not None:
            raise RuntimeError("the gateway is already running")
        routes = [_clean_route(r) for r in routes]
        for i, r in enumerate(routes):
            rid = r.get("id")
            if isinstance(rid, bool) or not isinstance(rid, int) or rid < 1:
                raise ValueError(f"routes[{i}].id must be an integer >= 1, got {rid!r}")
        proxy, admin, upstream = _free_ports(3)
        self.ports = _Ports(proxy, admin, upstream)
        conf = self._render()
        # The master loads the routes into the store before the workers
        # start; each worker builds its first router at once.
        (self.prefix / "routes.json").write_text(json.dumps(routes))
        preexec = None
        if self.settings.memory_limit_bytes is not None:
            self.cgroup = MemoryCgroup(self.settings.memory_limit_bytes)
            preexec = self.cgroup.join
        out = open(self.prefix / "nginx.out", "wb")
        try:
            self.process = subprocess.Popen([self.nginx, "-p", str(self.prefix), "-c", str(conf)], stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=preexec)
        finally:
            out.close()
        _RUNNING.add(self)
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"nginx exited with status {self.process.returncode}:\n{self.log_tail()}")
                try:
                    self.status()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"nginx did not answer within {timeout_s} s:\n{self.log_tail()}")
                    time.sleep(0.05)
            self.wait_until_built(1, timeout_s=max(1.0, deadline - time.monotonic()))
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop nginx and every worker (graceful quit, then TERM, then KILL) and clean up."""
        proc = self.process
        if proc is not None:
            for sig, wait in ((signal.SIGQUIT, timeout_s / 2), (signal.SIGTERM, timeout_s / 4), (signal.SIGKILL, timeout_s / 4)):
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(wait)
                    # The master is gone; stray workers of its group go too.
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    break
                except subprocess.TimeoutExpired:
                    continue
            self.process = None
        _RUNNING.discard(self)
        if self.cgroup is not None:
            deadline = time.monotonic() + 5
            while self.cgroup.pids() and time.monotonic() < deadline:
                time.sleep(0.05)
            self.cgroup.remove()
        if self._own_workdir:
            shutil.rmtree(self.prefix, ignore_errors=True)

    def __enter__(self) -> "Gateway":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of nginx's error log and output."""
        text = []
        for name in ("error.log", "nginx.out"):
            try:
                text += (self.prefix / name).read_text(errors="replace").splitlines()[-lines:]
            except OSError:
                pass
        return "\n".join(text)

    # ---- HTTP ------------------------------------------------------------

    def _http(self, port: int, method: str, path: str, body: Any = None,
              headers: Optional[Mapping[str, str]] = None, timeout_s: float = 30.0) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
        try:
            data = None if body is None else json.dumps(body).encode()
            conn.request(method, path, body=data, headers=dict(headers or {}))
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def _admin(self, method: str, path: str, body: Any = None, timeout_s: float = 30.0) -> dict[str, Any]:
        assert self.ports is not None
        status, _, data = self._http(self.ports.admin, method, path, body, timeout_s=timeout_s)
        reply = json.loads(data) if data else {}
        if status >= 400:
            raise RuntimeError(f"admin {method} {path}: {status} {reply.get('error', '')}")
        return reply

    def status(self) -> dict[str, Any]:
        """The store version, route count and every live worker's published figures."""
        assert self.ports is not None
        status, _, data = self._http(self.ports.admin, "GET", "/status", timeout_s=5.0)
        if status != 200:
            raise OSError(f"status answered {status}")
        return json.loads(data)

    def workers(self) -> list[dict[str, Any]]:
        """Published figures of the workers that are alive now (their pids are nginx's children)."""
        alive = set(self.worker_pids())
        return [w for w in self.status()["workers"] if w["pid"] in alive]

    def wait_until_built(self, version: int, timeout_s: float = 60.0) -> list[dict[str, Any]]:
        """Wait until every live worker's router is at `version` (or later); their figures."""
        deadline = time.monotonic() + timeout_s
        while True:
            workers = self.workers()
            if len(workers) == self.settings.workers and all(w["version"] >= version for w in workers):
                return workers
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"nginx exited:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"workers did not build version {version} within {timeout_s} s: "
                                   f"{[(w['pid'], w['version']) for w in workers]}\n{self.log_tail()}")
            time.sleep(0.02)

    def request(self, path: str, method: str = "GET", host: str = "gateway.example.org",
                headers: Optional[Mapping[str, str]] = None) -> tuple[int, Optional[int]]:
        """One proxied request: (HTTP status, matched route id or None)."""
        assert self.ports is not None
        h = {"Host": host, **(headers or {})}
        status, resp_headers, _ = self._http(self.ports.proxy, method, path, headers=h)
        route = resp_headers.get("x-gwsim-route")
        return status, int(route) if route is not None else None

    def write(self, kind: str, id: Optional[int] = None, body: Optional[Mapping[str, Any]] = None) -> int:
        """One admin write; returns the new store version.

        `kind` is ``"noop"``, ``"create_route"`` (`body`), ``"update_route"``
        (`id`, `body`), ``"delete_route"`` (`id`), ``"put_service"`` (`id`,
        `body`) or ``"delete_service"`` (`id`).
        """
        kinds = {
            "noop": ("POST", "/noop", False, False),
            "create_route": ("POST", "/routes", False, True),
            "update_route": ("PUT", "/routes/{id}", True, True),
            "delete_route": ("DELETE", "/routes/{id}", True, False),
            "put_service": ("PUT", "/services/{id}", True, True),
            "delete_service": ("DELETE", "/services/{id}", True, False),
        }
        if kind not in kinds:
            raise ValueError(f"kind must be one of {sorted(kinds)}, got {kind!r}")
        method, path, needs_id, needs_body = kinds[kind]
        if needs_id and (isinstance(id, bool) or not isinstance(id, int) or id < 1):
            raise ValueError(f"{kind} needs an integer id >= 1, got {id!r}")
        if needs_body and not isinstance(body, Mapping):
            raise ValueError(f"{kind} needs a body mapping, got {body!r}")
        payload = _clean_route(body) if needs_body and kind != "put_service" else (dict(body) if body else None)
        return int(self._admin(method, path.format(id=id), payload)["version"])

    # ---- processes and memory ----------------------------------------------

    def worker_pids(self) -> list[int]:
        """Pids of nginx's worker processes now (children of the master)."""
        if self.process is None:
            return []
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        except OSError:
            return []
        return sorted(int(c) for c in children)

    def rss_bytes(self) -> dict[int, int]:
        """Resident memory of every worker, bytes (from /proc/<pid>/status)."""
        out = {}
        for pid in self.worker_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        out[pid] = int(line.split()[1]) * 1024
                        break
            except OSError:
                continue
        return out

    def oom_kills(self) -> int:
        """Workers the kernel's OOM killer has killed (0 without a memory limit)."""
        return self.cgroup.oom_kills() if self.cgroup is not None else 0

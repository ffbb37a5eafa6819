"""Differential test: the testbed's Lua router (testbed/lua/gwsim_testbed/router.lua,
run inside a throw-away nginx with the Lua module) against the C++ reference
matcher (gwsim._core.RouteSet.from_routes(...).match_ids("reference", ...)).

Skips only when nginx or its Lua module is not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

from gwsim import _core

REPO = Path(__file__).resolve().parents[2]
LUA_DIR = REPO / "testbed" / "lua"
NGINX = Path("/usr/sbin/nginx")
MODULES = Path("/usr/lib/nginx/modules")
LUA_MODULE = MODULES / "ngx_http_lua_module.so"
NDK_MODULE = MODULES / "ndk_http_module.so"

# The handler: POST {routes, requests, cache_slots?, negative_cache?,
# yield_every?} to /select; answers {paths, ids, ids_again, cache_count,
# neg_count, yields} (ids: the selected route id per request, 0 for none;
# ids_again: the same requests asked a second time, i.e. from the cache;
# yields: calls of opts.yield during the build), or status 400 {error}.
NGINX_CONF = """\
daemon off;
master_process off;
worker_processes 1;
error_log {tmp}/error.log warn;
pid {tmp}/nginx.pid;
load_module {ndk};
load_module {lua};
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/client_body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  client_max_body_size 64m;
  client_body_buffer_size 64m;
  lua_package_path "{lua_dir}/?.lua;;";
  server {{
    listen 127.0.0.1:{port};
    location = /ping {{ return 200 "ok"; }}
    location = /select {{
      content_by_lua_block {{
        local cjson = require "cjson.safe"
        local router = require "gwsim_testbed.router"
        ngx.req.read_body()
        local body = ngx.req.get_body_data()
        if not body then
          local f = io.open(ngx.req.get_body_file(), "rb")
          body = f:read("*a")
          f:close()
        end
        local data = cjson.decode(body)
        -- A yielding build when asked: ngx.sleep(0) yields to the event loop.
        local yields = 0
        local r, err = router.new(data.routes, {{
          cache_slots = data.cache_slots,
          negative_cache = data.negative_cache,
          yield_every = data.yield_every,
          yield = data.yield_every and function()
            yields = yields + 1
            ngx.sleep(0)
          end or nil,
        }})
        if not r then
          ngx.status = 400
          ngx.say(cjson.encode({{ error = err }}))
          return
        end
        -- Request headers as nginx hands them over: lower-cased names, a
        -- repeated header becomes an array of values.
        local reqs = {{}}
        for i, q in ipairs(data.requests) do
          local headers = {{}}
          for _, h in ipairs(q.headers or {{}}) do
            local name = string.lower(h[1])
            local prev = headers[name]
            if prev == nil then
              headers[name] = h[2]
            elseif type(prev) == "table" then
              prev[#prev + 1] = h[2]
            else
              headers[name] = {{ prev, h[2] }}
            end
          end
          reqs[i] = {{ q.method, q.host, q.path, headers, q.scheme, q.sni }}
        end
        local function run()
          local ids = {{}}
          for i, q in ipairs(reqs) do
            local route = r:select(q[1], q[2], q[3], q[4], q[5], q[6])
            ids[i] = route and route.id or 0
          end
          return ids
        end
        local ids = run()
        local ids_again = run()
        ngx.say(cjson.encode({{
          paths = r.paths,
          ids = ids,
          ids_again = ids_again,
          cache_count = r.cache:count(),
          neg_count = r.cache_neg and r.cache_neg:count() or 0,
          yields = yields,
        }}))
      }}
    }}
  }}
}}
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Nginx:
    def __init__(self, port: int, tmp: Path) -> None:
        self.port = port
        self.tmp = tmp

    def post(self, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        data = json.dumps(payload).encode()
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/select", data=data, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            body = err.read()
            try:
                return err.code, json.loads(body)
            except json.JSONDecodeError:
                return err.code, {"error": body.decode(errors="replace") + "\n" + self.error_log()}

    def error_log(self) -> str:
        p = self.tmp / "error.log"
        return p.read_text(errors="replace")[-4000:] if p.exists() else ""


@pytest.fixture(scope="module")
def testbed() -> Iterator[Nginx]:
    if not NGINX.exists():
        pytest.skip(f"{NGINX} is not installed (Debian package nginx-core)")
    if not LUA_MODULE.exists() or not NDK_MODULE.exists():
        pytest.skip(f"{LUA_MODULE} / {NDK_MODULE} missing (Debian package libnginx-mod-http-lua)")
    tmp = Path(tempfile.mkdtemp(prefix="gwsim-router-test-"))
    proc: subprocess.Popen[bytes] | None = None
    try:
        port = _free_port()
        conf = tmp / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(tmp=tmp, ndk=NDK_MODULE, lua=LUA_MODULE, lua_dir=LUA_DIR, port=port)
        )
        proc = subprocess.Popen(
            [str(NGINX), "-p", str(tmp), "-e", str(tmp / "error.log"), "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                log = (tmp / "error.log").read_text(errors="replace") if (tmp / "error.log").exists() else ""
                pytest.fail(f"nginx exited with {proc.returncode}:\n{err}\n{log}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=1) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail("nginx did not answer within 10 s")
            time.sleep(0.05)
        yield Nginx(port, tmp)
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if proc is not None and proc.stderr is not None:
            proc.stderr.close()
        shutil.rmtree(tmp, ignore_errors=True)


def _route(id: int, **fields: Any) -> dict[str, Any]:
    r: dict[str, Any] = {
        "id": id,
        "hosts": [],
        "paths": [],
        "methods": [],
        "headers": [],
        "snis": [],
        "regex_priority": 0,
        "created_at": 1000 + id,
        "service": id,
    }
    r.update(fields)
    return r


def _req(path: str = "/", host: str = "", method: str = "GET", headers: list[tuple[str, str]] | None = None,
         scheme: str = "http", sni: str = "") -> dict[str, Any]:
    return {"method": method, "host": host, "path": path, "headers": headers or [], "sni": sni, "scheme": scheme}


def _compare(testbed: Nginx, routes: list[dict[str, Any]], requests: list[dict[str, Any]],
             expected: list[int | None] | None = None) -> dict[str, Any]:
    """Ask both routers; fail listing every disagreement (and every answer
    that differs from `expected` when given)."""
    status, out = testbed.post({"routes": routes, "requests": requests})
    assert status == 200, out
    lua = [i if i != 0 else None for i in out["ids"]]
    ref = _core.RouteSet.from_routes(routes).match_ids("reference", requests)
    problems = []
    for k, (q, a, b) in enumerate(zip(requests, lua, ref)):
        if a != b:
            problems.append(f"request {k} {q}: lua={a} reference={b}")
        elif expected is not None and expected[k] != b:
            problems.append(f"request {k} {q}: both={a} expected={expected[k]}")
    assert not problems, f"{len(problems)} of {len(requests)} disagree:\n" + "\n".join(problems)
    # The second pass is answered from the match cache.
    assert out["ids_again"] == out["ids"]
    assert out["paths"] == sum(max(1, len(r["paths"])) for r in routes)
    return out


def test_regex_vs_prefix_and_priority(testbed: Nginx) -> None:
    routes = [
        _route(1, paths=["/users"]),
        _route(2, paths=[r"/users/\d+"]),
        _route(3, paths=["/a/.*"], regex_priority=0),
        _route(4, paths=["/a/b.*"], regex_priority=5),
        _route(5, paths=["/p"]),
        _route(6, paths=["/p/q"]),
        _route(7, paths=["/p/q/r"]),
        _route(8, paths=["/multi", "/m/(x|y)"]),
        _route(9, paths=["/m"]),
        _route(10, paths=["/users/(?<id>[a-z]+)"], regex_priority=-1),
        _route(11, paths=["/sp%20ace~x"]),  # `%` and `~` keep a path plain
    ]
    requests = [
        _req("/users/42"),         # a regex path outranks a prefix (HAS_REGEX_URI)
        _req("/users/abc"),        # lower priority regex still beats the prefix
        _req("/users/"),           # only the prefix
        _req("/users"),
        _req("/a/bc"),             # regex_priority 5 first
        _req("/a/c"),
        _req("/p/q/r/s"),          # longest prefix
        _req("/p/q/x"),
        _req("/p"),
        _req("/px"),               # prefixes are byte prefixes
        _req("/m/x/1"),            # regex prefix: not anchored at the end
        _req("/multi/2"),
        _req("/m"),
        _req("/nothing"),
        _req("/sp%20ace~x/1"),
        _req("/sp%20acex"),
    ]
    _compare(testbed, routes, requests, [2, 10, 1, 1, 4, 3, 7, 6, 5, 5, 8, 8, 9, None, 11, None])


def test_hosts_ports_and_wildcards(testbed: Nginx) -> None:
    routes = [
        _route(1, hosts=["example.com"]),
        _route(2, hosts=["example.com:8080"]),
        _route(3, hosts=["*.example.com"]),
        _route(4, hosts=["*.example.com:8443"]),
        _route(5, hosts=["api.*"]),
        _route(6, hosts=["*.example.org:443"], paths=["/"]),
        _route(7, hosts=["example.net"], paths=["/x"]),
        _route(8, paths=["/x/y"]),
        _route(9, hosts=["Mixed.Example.com"]),
    ]
    requests = [
        _req(host="example.com"),
        _req(host="example.com:8080"),
        _req(host="example.com:9090"),          # port stripped: plain host
        _req(host="a.example.com"),
        _req(host="a.example.com:8443"),        # wildcard with port outranks
        _req(host="b.example.com:8443", scheme="https"),
        _req(host="api.foo"),
        _req(host="api.foo:81"),
        _req(host="x.example.org", scheme="https"),   # default port 443
        _req(host="y.example.org", scheme="http"),    # default port 80: no
        _req(host="x.example.org:443"),
        _req("/x/y", host="example.net"),       # host+uri category first
        _req("/x/y", host="other.net"),
        _req(host="mixed.example.com"),         # hosts compare case-sensitively
        _req(host="Mixed.Example.com"),
        _req(host="nothing.invalid"),
    ]
    _compare(testbed, routes, requests, [1, 2, 1, 3, 4, 4, 5, 5, 6, None, 6, 7, 8, 3, 9, None])


def test_headers_methods_created_at_sni(testbed: Nginx) -> None:
    routes = [
        _route(1, paths=["/h"], headers=[("X-Version", ["V1", "v2"])]),
        _route(2, paths=["/h"]),
        _route(3, paths=["/h"], headers=[("x-version", ["v3"]), ("x-tenant", ["acme"])]),
        _route(4, paths=["/m"], methods=["GET", "post"]),
        _route(5, paths=["/m"], methods=["DELETE"]),
        _route(6, paths=["/m"]),
        _route(7, paths=["/t1"], created_at=100),
        _route(8, paths=["/t1"], created_at=100),  # full tie: lower id first
        _route(9, paths=["/t2"], created_at=60),
        _route(10, paths=["/t2"], created_at=50),  # older first
        _route(11, paths=["/s"], snis=["sni.test"]),
        _route(12, paths=["/s"]),
        _route(13, paths=["/hh"], headers={"host": ["example.com"]}),  # a host header is ignored
        _route(14, paths=["/only-host"], headers={"Host": ["example.com"]}, hosts=["example.com"]),
    ]
    requests = [
        _req("/h", headers=[("x-version", "v1")]),
        _req("/h", headers=[("X-VERSION", "V2")]),
        _req("/h"),
        _req("/h", headers=[("x-version", "v9")]),
        _req("/h", headers=[("x-version", "v9"), ("x-version", "V1")]),
        _req("/h", headers=[("x-version", "v3"), ("x-tenant", "ACME")]),
        _req("/h", headers=[("x-version", "v3")]),
        _req("/m", method="POST"),
        _req("/m", method="delete"),
        _req("/m", method="PUT"),
        _req("/m", method="get"),
        _req("/t1"),
        _req("/t2"),
        _req("/s", scheme="https", sni="sni.test"),
        _req("/s", scheme="https", sni="other.test"),
        _req("/s/x", host="h", scheme="http"),
        _req("/hh", headers=[("host", "example.com")]),
        _req("/only-host", host="example.com"),
    ]
    _compare(testbed, routes, requests, [1, 1, 2, 2, 1, 3, 2, 4, 5, 6, 4, 7, 10, 11, 12, 12, 13, 14])


def test_invalid_routes_are_rejected(testbed: Nginx) -> None:
    for routes, needle in [
        ([_route(1, paths=["/ok"]), _route(2)], "route 2"),
        ([_route(3, paths=["/a/("])], "route 3"),
    ]:
        status, out = testbed.post({"routes": routes, "requests": []})
        assert status == 400 and needle in out["error"], out
        with pytest.raises(ValueError, match=needle):
            _core.RouteSet.from_routes(routes).match_ids("reference", [])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_synthetic_sets_agree(testbed: Nginx, seed: int) -> None:
    routes = _core.synthetic_routes(1000, seed=seed)
    requests = _core.synthetic_requests(1000, 2000, seed=100 + seed, route_seed=seed)
    out = _compare(testbed, routes, requests)
    matched = sum(1 for i in out["ids"] if i != 0)
    assert matched > 1000  # the stream is mostly aimed at routes


def test_cache_hits_match_misses_and_cache_is_bounded(testbed: Nginx) -> None:
    routes = _core.synthetic_routes(300, seed=7)
    requests = _core.synthetic_requests(300, 1500, seed=8, route_seed=7)
    slots = 64
    status, small = testbed.post({"routes": routes, "requests": requests, "cache_slots": slots})
    assert status == 200, small
    # Hits (second pass; with 64 slots mostly evicted and recomputed) and
    # misses give the same routes, and equal a router with room for all.
    assert small["ids_again"] == small["ids"]
    assert 0 < small["cache_count"] <= slots
    assert small["neg_count"] <= slots
    status, big = testbed.post({"routes": routes, "requests": requests})
    assert status == 200, big
    assert big["ids"] == small["ids"]
    distinct = {json.dumps(q, sort_keys=True) for q in requests}
    assert big["cache_count"] + big["neg_count"] <= len(distinct)
    assert big["cache_count"] > slots


def test_yielding_build_gives_the_same_router(testbed: Nginx) -> None:
    routes = _core.synthetic_routes(500, seed=11)
    requests = _core.synthetic_requests(500, 500, seed=12, route_seed=11)
    status, plain = testbed.post({"routes": routes, "requests": requests})
    assert status == 200, plain
    status, yielding = testbed.post({"routes": routes, "requests": requests, "yield_every": 100})
    assert status == 200, yielding
    assert plain["yields"] == 0
    # One call per 100 routes (marshalling) plus one per 100 entries (indexing).
    assert yielding["yields"] == (len(routes) + plain["paths"]) // 100
    assert yielding["ids"] == plain["ids"]

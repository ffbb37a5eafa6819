"""Differential test: the testbed's Lua router (testbed/lua/gwsim_testbed/router.lua,
run inside a throw-away nginx with the Lua module) against the C++ reference
matcher (gwsim._core.RouteSet.from_routes(...).match_ids("reference", ...)).

Skips only when nginx or its Lua module is not installed.
"""

from __future__ import annotations

import json
import os
import random
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
  init_by_lua_block {{
    local cjson = require "cjson.safe"
    -- The request body as JSON (nginx keeps a large one in a file).
    function test_body()
      ngx.req.read_body()
      local body = ngx.req.get_body_data()
      if not body then
        local f = io.open(ngx.req.get_body_file(), "rb")
        body = f:read("*a")
        f:close()
      end
      return cjson.decode(body)
    end
    -- A route set's patterns as the testbed's Admin API checks them before
    -- a write (Router.new compiles none): nil and the message for the first
    -- bad one.
    function test_check_patterns(routes)
      local router = require "gwsim_testbed.router"
      for _, route in ipairs(routes or {{}}) do
        local ok, err = router.check_patterns(route)
        if not ok then
          return nil, err
        end
      end
      return true
    end
    -- Requests as select() arguments, headers as nginx hands them over:
    -- lower-cased names, a repeated header an array of values.
    function test_requests(list)
      local reqs = {{}}
      for i, q in ipairs(list or {{}}) do
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
      return reqs
    end
  }}
  server {{
    listen 127.0.0.1:{port};
    location = /ping {{ return 200 "ok"; }}
    location = /select {{
      content_by_lua_block {{
        local cjson = require "cjson.safe"
        local router = require "gwsim_testbed.router"
        local data = test_body()
        -- A yielding build when asked: ngx.sleep(0) yields to the event loop.
        local yields = 0
        local checked, perr = test_check_patterns(data.routes)
        if not checked then
          ngx.status = 400
          ngx.say(cjson.encode({{ error = perr }}))
          return
        end
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
        local reqs = test_requests(data.requests)
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
    # The incremental router, kept between requests under `session`: POST
    # {{session, routes?, cache_slots?, ops?, requests, fresh_routes?}}. With
    # `routes` a new router is built (status 400 {{error}} when rejected);
    # then `ops` ({{op = "add"|"update", route}} / {{op = "remove", id}}) are
    # applied in order; then the requests are asked twice. Answers {{paths,
    # ids, ids_again, op_errors (one per op, "" when it succeeded),
    # cache_count_after_ops, cache_count, neg_count, cache_id (the match
    # cache's identity), fresh_ids / fresh_paths / structure_diff (router.lua
    # built from `fresh_routes`, when given, and the first difference between
    # the structures select() reads in the two, "" when none)}}.
    location = /incremental {{
      content_by_lua_block {{
        local cjson = require "cjson.safe"
        local router = require "gwsim_testbed.router"
        local irouter = require "gwsim_testbed.incremental_router"
        local sessions = package.loaded["gwsim_test_sessions"] or {{}}
        package.loaded["gwsim_test_sessions"] = sessions
        local data = test_body()
        local function fail(err)
          ngx.status = 400
          ngx.say(cjson.encode({{ error = err }}))
        end
        if data.routes then
          local checked, perr = test_check_patterns(data.routes)
          if not checked then
            return fail(perr)
          end
          local r, err = irouter.new(data.routes, {{
            cache_slots = data.cache_slots,
            negative_cache = data.negative_cache,
          }})
          if not r then
            return fail(err)
          end
          sessions[data.session] = r
        end
        local r = sessions[data.session]
        if not r then
          return fail("no session " .. tostring(data.session))
        end
        -- The structures select() reads, as lines of text: equal for the
        -- incremental router and router.lua built from the same set (prefix
        -- paths as a set: router.lua keeps duplicates, in no fixed order
        -- within one length).
        local structure_diff
        local function sig(rt)
          local lines = {{}}
          local function add(s) lines[#lines + 1] = s end
          local function ids(l)
            local t = {{}}
            for i = 1, #l do t[i] = tostring(l[i].id) .. ":" .. l[i].path_index end
            return table.concat(t, " ")
          end
          local function keys(t)
            local k = {{}}
            for key in pairs(t) do k[#k + 1] = tostring(key) end
            table.sort(k)
            return k
          end
          for _, c in ipairs(rt.categories_sorted) do
            add("category " .. c.bits .. ": " .. ids(c.all))
            for _, f in ipairs({{ "routes_by_hosts", "routes_by_headers", "routes_by_uris",
                                 "routes_by_methods", "routes_by_sni" }}) do
              for _, key in ipairs(keys(c[f])) do
                add("  " .. f .. "[" .. key .. "]: " .. ids(c[f][key]))
              end
            end
          end
          for bits, i in pairs(rt.categories_lookup) do
            if rt.categories_sorted[i].bits ~= bits then add("bad lookup " .. bits) end
          end
          add("header_names: " .. table.concat(rt.header_names, " "))
          local function values(l)
            local t = {{}}
            for i = 1, #l do t[i] = l[i].value end
            return t
          end
          add("wildcard_hosts: " .. table.concat(values(rt.wildcard_hosts), " "))
          add("regex_uris: " .. table.concat(values(rt.regex_uris), " "))
          local set, lens = {{}}, {{}}
          for i, v in ipairs(values(rt.prefix_uris)) do
            set[v] = true
            lens[i] = #v
            if i > 1 and lens[i] > lens[i - 1] then add("prefix_uris not longest first") end
          end
          add("prefix_uris: " .. table.concat(keys(set), " "))
          for _, f in ipairs(keys(rt.plain_indexes)) do
            add("plain_indexes." .. f .. ": " .. table.concat(keys(rt.plain_indexes[f]), " "))
          end
          add("paths: " .. rt.paths)
          return lines
        end
        structure_diff = function(a, b)
          local la, lb = sig(a), sig(b)
          for i = 1, math.max(#la, #lb) do
            if la[i] ~= lb[i] then
              return "incremental: " .. tostring(la[i]) .. " <> router.lua: " .. tostring(lb[i])
            end
          end
          return ""
        end
        local op_errors = {{}}
        for i, op in ipairs(data.ops or {{}}) do
          local ok, err
          -- A written route's patterns are checked first, as the Admin API checks them.
          local checked, perr = test_check_patterns(op.route and {{ op.route }} or nil)
          if not checked then
            err = perr
          elseif op.op == "add" then
            ok, err = r:add(op.route)
          elseif op.op == "update" then
            ok, err = r:update(op.route)
          elseif op.op == "remove" then
            ok, err = r:remove(op.id)
          else
            err = "unknown op " .. tostring(op.op)
          end
          op_errors[i] = ok and "" or tostring(err)
        end
        local cache_count_after_ops = r.cache:count()
        local reqs = test_requests(data.requests)
        local function run(rt)
          local ids = {{}}
          for i, q in ipairs(reqs) do
            local route = rt:select(q[1], q[2], q[3], q[4], q[5], q[6])
            ids[i] = route and route.id or 0
          end
          return ids
        end
        local out = {{
          op_errors = op_errors,
          cache_count_after_ops = cache_count_after_ops,
          cache_id = tostring(r.cache),
        }}
        if data.fresh_routes then
          local fresh, err = router.new(data.fresh_routes)
          if not fresh then
            return fail("router.lua: " .. err)
          end
          out.fresh_ids = run(fresh)
          out.fresh_paths = fresh.paths
          out.structure_diff = structure_diff(r, fresh)
        end
        out.ids = run(r)
        out.ids_again = run(r)
        out.paths = r.paths
        out.cache_count = r.cache:count()
        out.neg_count = r.cache_neg and r.cache_neg:count() or 0
        ngx.say(cjson.encode(out))
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

    def post(self, payload: dict[str, Any], endpoint: str = "select") -> tuple[int, dict[str, Any]]:
        data = json.dumps(payload).encode()
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/{endpoint}", data=data, headers={"Content-Type": "application/json"}
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
    # The incremental router built from the same set selects the same.
    inc = _incremental(testbed, routes=routes, requests=requests)
    problems = [
        f"request {k} {q}: incremental={a or None} reference={b}"
        for k, (q, a, b) in enumerate(zip(requests, inc["ids"], out["ids"]))
        if a != b
    ]
    assert not problems, f"{len(problems)} of {len(requests)} disagree:\n" + "\n".join(problems)
    assert inc["ids_again"] == inc["ids"]
    assert inc["paths"] == out["paths"]
    return out


_SESSIONS = iter(range(1, 1 << 30))


def _incremental(testbed: Nginx, session: int | None = None, **payload: Any) -> dict[str, Any]:
    """POST to /incremental (a new session unless `session` is given); the
    session is returned as out["session"]. Fails on status != 200."""
    if session is None:
        session = next(_SESSIONS)
    status, out = testbed.post({"session": session, **payload}, endpoint="incremental")
    assert status == 200, out
    # cjson encodes an empty array as {}.
    for k in ("ids", "ids_again", "op_errors", "fresh_ids"):
        if out.get(k) == {}:
            out[k] = []
    out["session"] = session
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
        status, out = testbed.post({"session": -1, "routes": routes, "requests": []}, endpoint="incremental")
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


# ---------------------------------------------------------------------------
# incremental router (testbed/lua/gwsim_testbed/incremental_router.lua)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_synthetic_sets_agree(testbed: Nginx, seed: int) -> None:
    """Built from the set (as new() does) and built by adding the routes one
    by one in random order (every insertion shifts): both select what the
    reference selects."""
    routes = _core.synthetic_routes(1000, seed=seed)
    requests = _core.synthetic_requests(1000, 2000, seed=200 + seed, route_seed=seed)
    ref = [i or 0 for i in _core.RouteSet.from_routes(routes).match_ids("reference", requests)]
    built = _incremental(testbed, routes=routes, requests=requests)
    assert built["ids"] == ref
    shuffled = list(routes)
    random.Random(seed).shuffle(shuffled)
    added = _incremental(testbed, routes=[], ops=[{"op": "add", "route": r} for r in shuffled], requests=requests)
    assert added["op_errors"] == [""] * len(routes)
    assert added["paths"] == built["paths"] == sum(max(1, len(r["paths"])) for r in routes)
    bad = [(k, q, a, b) for k, (q, a, b) in enumerate(zip(requests, added["ids"], ref)) if a != b]
    assert not bad, f"seed {seed}: {len(bad)} disagree, first: {bad[0]}"
    assert added["ids_again"] == ref


_EXTRA_PATHS = ["/new", "/new/a", "/new/a/b", r"/new/\d+", r"/new/(a|b)/.*", "/v1", "/v2/orders", "/", r"/v1/[a-z]+$"]
_EXTRA_HOSTS = ["new.example.com", "*.example.com", "api.*", "*.example.net:8443", "new.example.com:8080"]
_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]


def _mutate(rng: random.Random, route: dict[str, Any], pools: dict[str, list[str]]) -> dict[str, Any]:
    """A copy of `route` with one to three of paths, hosts, methods,
    regex_priority, headers changed."""
    r = json.loads(json.dumps(route))
    fields = rng.sample(["paths", "paths", "hosts", "methods", "regex_priority", "headers"], rng.randint(1, 3))
    for f in fields:
        if f == "paths":
            r["paths"] = rng.sample(pools["paths"], rng.choice([0, 1, 1, 1, 2, 3]))
        elif f == "hosts":
            r["hosts"] = rng.sample(pools["hosts"], rng.choice([0, 0, 1, 1, 2]))
        elif f == "methods":
            r["methods"] = rng.sample(_METHODS, rng.choice([0, 0, 1, 2]))
        elif f == "regex_priority":
            r["regex_priority"] = rng.choice([-2, 0, 1, 3, 10])
        else:
            r["headers"] = rng.choice([[], [], [["x-canary", ["true"]]], [["x-api-version", ["1", "2"]]]])
    if not (r["paths"] or r["hosts"] or r["methods"] or r["headers"] or r["snis"]):
        r["paths"] = [rng.choice(pools["paths"])]
    return r


def _aimed_request(rng: random.Random, route: dict[str, Any]) -> dict[str, Any]:
    """A request more or less aimed at `route` (regex paths are filled in
    roughly; it need not match)."""
    path = rng.choice(route["paths"]) if route["paths"] else "/"
    for pat, sub in [(r"\d+", "42"), ("[^/]+", "abc"), ("[a-z]+", "abc"), ("(a|b)", "a"), (".*", "x"), ("$", "")]:
        path = path.replace(pat, sub)
    path += rng.choice(["", "", "/", "/x", "/123"])
    host = rng.choice(route["hosts"]) if route["hosts"] else rng.choice(["", "other.example.org"])
    host = host.replace("*", rng.choice(["w1", "a.b"]))
    method = rng.choice(route["methods"]) if route["methods"] else rng.choice(_METHODS)
    headers = [(route["headers"][0][0], route["headers"][0][1][0])] if route["headers"] and rng.random() < 0.8 else []
    sni = rng.choice(route["snis"]) if route["snis"] else ""
    return _req(path, host=host, method=method, headers=headers, scheme=rng.choice(["http", "https"]), sni=sni)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_random_changes_agree(testbed: Nginx, seed: int) -> None:
    """~200 random adds / removes / updates (paths, hosts, methods,
    regex_priority, headers) on a 500-route set, a few invalid; every 20
    operations the incremental router's answers on 300 requests equal
    router.lua built fresh from the current set and the C++ reference."""
    print(f"seed {seed}")
    rng = random.Random(seed)
    routes = _core.synthetic_routes(500, seed=seed)
    pool = _core.synthetic_requests(500, 2000, seed=300 + seed, route_seed=seed)
    pools = {
        "paths": sorted({p for r in routes for p in r["paths"]}) + _EXTRA_PATHS,
        "hosts": sorted({h for r in routes for h in r["hosts"]}) + _EXTRA_HOSTS,
    }
    current = {r["id"]: json.loads(json.dumps(r)) for r in routes}
    next_id = max(current) + 1
    out = _incremental(testbed, routes=routes, requests=[])
    session = out["session"]
    kinds = {"add": 0, "remove": 0, "update": 0, "invalid": 0}
    for checkpoint in range(11):
        ops: list[dict[str, Any]] = []
        expect_error: list[bool] = []
        for _ in range(20 if checkpoint else 0):
            roll = rng.random()
            if roll < 0.04:
                kind = rng.choice(["dup", "missing", "badregex"])
                some = rng.choice(list(current.values()))
                if kind == "dup":
                    ops.append({"op": "add", "route": some})
                elif kind == "missing":
                    ops.append({"op": "remove", "id": 10**6})
                else:
                    ops.append({"op": "update", "route": {**some, "paths": ["/ok", "/a/("]}})
                expect_error.append(True)
                kinds["invalid"] += 1
            elif roll < 0.34:
                r = _mutate(rng, rng.choice(list(current.values())), pools)
                r["id"] = r["service"] = next_id
                r["created_at"] = rng.choice([r["created_at"], 1600000000 + rng.randrange(10**6)])
                next_id += 1
                current[r["id"]] = r
                ops.append({"op": "add", "route": r})
                expect_error.append(False)
                kinds["add"] += 1
            elif roll < 0.64:
                rid = rng.choice(sorted(current))
                del current[rid]
                ops.append({"op": "remove", "id": rid})
                expect_error.append(False)
                kinds["remove"] += 1
            else:
                r = _mutate(rng, current[rng.choice(sorted(current))], pools)
                current[r["id"]] = r
                ops.append({"op": "update", "route": r})
                expect_error.append(False)
                kinds["update"] += 1
        now = list(current.values())
        requests = rng.sample(pool, 200) + [_aimed_request(rng, rng.choice(now)) for _ in range(100)]
        out = _incremental(testbed, session=session, ops=ops, requests=requests, fresh_routes=now)
        where = f"seed {seed}, checkpoint {checkpoint} (after {20 * checkpoint} operations)"
        errors = out["op_errors"]
        assert [e != "" for e in errors] == expect_error, f"{where}: op errors {errors}"
        ref = [i or 0 for i in _core.RouteSet.from_routes(now).match_ids("reference", requests)]
        for k, q in enumerate(requests):
            inc, fresh, r = out["ids"][k], out["fresh_ids"][k], ref[k]
            assert inc == fresh == r, (
                f"{where}: first disagreement at request {k} {q}: "
                f"incremental={inc} router.lua={fresh} reference={r}"
            )
        assert out["ids_again"] == out["ids"], where
        # The structures select() reads equal router.lua's for the set.
        assert out["structure_diff"] == "", f"{where}: structures differ:\n{out['structure_diff']}"
        assert out["paths"] == out["fresh_paths"] == sum(max(1, len(r["paths"])) for r in now), where
    assert kinds["add"] > 30 and kinds["remove"] > 30 and kinds["update"] > 50, kinds


def test_incremental_change_flushes_cache(testbed: Nginx) -> None:
    """A request answered (and cached) before a change gets the new answer
    after it; the router keeps its one cache, flushed in place."""
    routes = [
        _route(1, paths=["/a"]),
        _route(2, paths=["/a/b"]),
        _route(3, hosts=["h.example.com"]),
    ]
    requests = [_req("/a/b/c"), _req("/a/x"), _req("/z", host="h.example.com"), _req("/nothing")]
    before = _incremental(testbed, routes=routes, requests=requests)
    session = before["session"]
    assert before["ids"] == before["ids_again"] == [2, 1, 3, 0]
    assert before["cache_count"] == 3 and before["neg_count"] == 1
    steps: list[tuple[dict[str, Any], list[int]]] = [
        # a longer prefix takes /a/b/c
        ({"op": "add", "route": _route(4, paths=["/a/b/c"])}, [4, 1, 3, 0]),
        # the cached miss /nothing now matches
        ({"op": "add", "route": _route(5, paths=["/no"])}, [4, 1, 3, 5]),
        # a regex path outranks every prefix (HAS_REGEX_URI)
        ({"op": "update", "route": _route(1, paths=[r"/a/.*"], regex_priority=3)}, [1, 1, 3, 5]),
        ({"op": "update", "route": _route(1, paths=["/a"], hosts=["h.example.com"])}, [4, 0, 3, 5]),
        ({"op": "remove", "id": 4}, [2, 0, 3, 5]),
        ({"op": "remove", "id": 3}, [2, 0, 0, 5]),
    ]
    for op, expected in steps:
        out = _incremental(testbed, session=session, ops=[op], requests=requests)
        assert out["op_errors"] == [""], out
        assert out["cache_count_after_ops"] == 0  # flushed
        assert out["cache_id"] == before["cache_id"]  # not reallocated
        assert out["ids"] == out["ids_again"] == expected, op
        # router.lua built fresh and the C++ reference agree on the current set
        now = _current(routes, steps, op)
        status, plain = testbed.post({"routes": now, "requests": requests})
        assert status == 200 and plain["ids"] == expected, (op, plain)
        ref = _core.RouteSet.from_routes(now).match_ids("reference", requests)
        assert [i or 0 for i in ref] == expected, (op, ref)
    # A rejected change leaves the router (and its cache) as it was.
    out = _incremental(testbed, session=session, ops=[{"op": "update", "route": _route(2, paths=["/a/("])}],
                       requests=requests)
    assert "route 2" in out["op_errors"][0]
    assert out["cache_count_after_ops"] > 0
    assert out["ids"] == steps[-1][1]


def _current(routes: list[dict[str, Any]], steps: list[tuple[dict[str, Any], list[int]]],
             upto: dict[str, Any]) -> list[dict[str, Any]]:
    """The route set after applying `steps` up to and including `upto`."""
    cur = {r["id"]: r for r in routes}
    for op, _ in steps:
        if op["op"] == "remove":
            del cur[op["id"]]
        else:
            cur[op["route"]["id"]] = op["route"]
        if op is upto:
            break
    return list(cur.values())


def test_incremental_edge_cases_keep_structures(testbed: Nginx) -> None:
    """Repeated hosts / wildcards / paths in one route, header names that
    differ in case only, a `host`-header-only route (category 0), header
    names whose first route changes: after every change the structures equal
    router.lua's for the set, and answers equal router.lua's and the
    reference's. Also: a repeated id is rejected by new() and add()."""
    steps = [
        {"op": "add", "route": _route(1, hosts=["a.test", "a.test", "*.w.test", "*.w.test"], paths=["/p", "/p"])},
        {"op": "add", "route": _route(2, paths=["/h"], headers=[("X-B", ["1"]), ("x-a", ["1"]), ("X-A", ["2"])])},
        {"op": "add", "route": _route(3, paths=["/h"], headers=[("x-a", ["1"]), ("x-b", ["2"])], created_at=5)},
        {"op": "add", "route": _route(4, headers={"host": ["x"]})},
        {"op": "update", "route": _route(2, paths=["/h"], headers=[("x-c", ["1"])], created_at=1)},
        {"op": "remove", "id": 3},
        {"op": "update", "route": _route(1, hosts=["*.w.test:8080", "a.test"], paths=[r"/p/\d+", "/p"], regex_priority=2)},
        {"op": "add", "route": _route(5, hosts=["b.*"], snis=["s.test"], methods=["get", "GET"])},
        {"op": "remove", "id": 1},
        {"op": "remove", "id": 4},
        {"op": "update", "route": _route(5, methods=["POST"])},
    ]
    requests = [
        _req("/p/1", host="a.test"), _req("/p", host="x.w.test"), _req("/p", host="x.w.test:8080"),
        _req("/h", headers=[("x-a", "1")]), _req("/h", headers=[("x-a", "2"), ("x-b", "2")]),
        _req("/h", headers=[("x-c", "1")]), _req("/h", headers=[("x-b", "1")]), _req("/x", host="b.c"),
        _req("/x", host="b.c", method="POST"), _req("/x", host="b.c", sni="s.test"), _req("/"),
    ]
    session = _incremental(testbed, routes=[], requests=[])["session"]
    current: dict[int, dict[str, Any]] = {}
    for op in steps:
        if op["op"] == "remove":
            del current[op["id"]]
        else:
            current[op["route"]["id"]] = op["route"]
        now = list(current.values())
        out = _incremental(testbed, session=session, ops=[op], requests=requests, fresh_routes=now)
        assert out["op_errors"] == [""], (op, out["op_errors"])
        assert out["structure_diff"] == "", (op, out["structure_diff"])
        ref = [i or 0 for i in _core.RouteSet.from_routes(now).match_ids("reference", requests)]
        assert out["ids"] == out["fresh_ids"] == ref, op
        assert out["paths"] == out["fresh_paths"], op
    out = _incremental(testbed, session=session, ops=[{"op": "add", "route": _route(2, paths=["/again"])}],
                       requests=[])
    assert "repeated route id" in out["op_errors"][0]
    status, out = testbed.post({"session": -2, "routes": [_route(7, paths=["/a"]), _route(7, paths=["/b"])],
                                "requests": []}, endpoint="incremental")
    assert status == 400 and "repeated route id" in out["error"], out

-- The testbed's admin API (its own loopback port), the writes that make
-- every worker rebuild, and the status the harness samples:
--
--   POST   /config            body: JSON array of routes; replaces them all
--   POST   /routes            body: a route (id optional); creates it
--   PUT    /routes/<id>       body: a route; replaces route <id>
--   DELETE /routes/<id>
--   PUT    /services/<id>     body: a service (any JSON object)
--   DELETE /services/<id>     deletes it and, by cascade, its routes
--   POST   /noop              a write that changes nothing but the version
--   GET    /status            {"version":..,"routes":..,"workers":[..]}
--   POST   /measure           body: {"requests": [..], "no_route_requests":
--                             [..]}; calibration figures of the serving
--                             worker (gateway.measure)
--   POST   /measure_regex     body: {"patterns": [..], "passes": n}; ngx.re's
--                             cache past its capacity (gateway.measure_regex)
--   POST   /measure_first_touch  body: {"mib": n}; the CPU of memory the
--                             worker touches for the first time
--                             (gateway.measure_first_touch)
--   POST   /measure_regex_growth  body: {"patterns": [..], "passes": n};
--                             finds as evicted patterns pile up
--                             (gateway.measure_regex_growth)
--
-- Every write bumps the store version and answers {"version": v}; errors
-- answer 400/404 with {"error": "..."}.

local cjson = require "cjson.safe"
local router = require "gwsim_testbed.router"
local store = require "gwsim_testbed.store"

local _M = {}

local function reply(status, body)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json"
  ngx.say(cjson.encode(body))
  return ngx.exit(status)
end

local function body_json()
  ngx.req.read_body()
  local text = ngx.req.get_body_data()
  if not text then
    local file = ngx.req.get_body_file()
    if file then
      local f = io.open(file, "rb")
      if f then
        text = f:read("*a")
        f:close()
      end
    end
  end
  if not text then
    return nil, "empty body"
  end
  local value, err = cjson.decode(text)
  if value == nil then
    return nil, "invalid JSON: " .. tostring(err)
  end
  return value
end

local function is_route(r)
  return type(r) == "table" and (r.id == nil or (type(r.id) == "number" and r.id >= 1 and r.id == math.floor(r.id)))
end

local function workers()
  local dict = ngx.shared.gwsim_stats
  local out = {}
  for _, key in ipairs(dict:get_keys(0)) do
    if key:sub(1, 7) == "worker:" then
      local record = cjson.decode(dict:get(key) or "null")
      if record then
        out[#out + 1] = record
      end
    end
  end
  table.sort(out, function(a, b) return a.pid < b.pid end)
  return out
end

function _M.handle()
  local method = ngx.req.get_method()
  local uri = ngx.var.uri
  local id = tonumber(uri:match("^/routes/(%d+)$") or uri:match("^/services/(%d+)$") or "")

  if method == "GET" and uri == "/status" then
    return reply(200, { version = store.version(), routes = store.count(), workers = workers(), now = ngx.now() })
  end
  if method == "POST" and uri == "/measure" then
    local body, err = body_json()
    if type(body) ~= "table" then
      return reply(400, { error = err or "body must be {\"requests\": [...], \"no_route_requests\": [...]}" })
    end
    for _, key in ipairs({ "requests", "no_route_requests" }) do
      if body[key] ~= nil and type(body[key]) ~= "table" then
        return reply(400, { error = key .. " must be an array of requests" })
      end
    end
    local figures, merr = require("gwsim_testbed.gateway").measure(body.requests or {}, body.no_route_requests or {})
    if not figures then
      return reply(400, { error = merr })
    end
    return reply(200, figures)
  end
  if method == "POST" and uri == "/measure_regex" then
    local body, err = body_json()
    if type(body) ~= "table" or type(body.patterns) ~= "table" then
      return reply(400, { error = err or "body must be {\"patterns\": [...], \"passes\": n}" })
    end
    local passes = tonumber(body.passes) or 3
    if passes < 1 or passes > 20 then
      return reply(400, { error = "passes must be in [1, 20]" })
    end
    return reply(200, require("gwsim_testbed.gateway").measure_regex(body.patterns, passes))
  end
  if method == "POST" and uri == "/measure_first_touch" then
    local body, err = body_json()
    if type(body) ~= "table" then
      return reply(400, { error = err or "body must be {\"mib\": n}" })
    end
    local mib = tonumber(body.mib) or 64
    if mib ~= math.floor(mib) or mib < 8 or mib > 1024 then
      return reply(400, { error = "mib must be an integer in [8, 1024]" })
    end
    return reply(200, require("gwsim_testbed.gateway").measure_first_touch(mib))
  end
  if method == "POST" and uri == "/measure_regex_growth" then
    local body, err = body_json()
    if type(body) ~= "table" or type(body.patterns) ~= "table" then
      return reply(400, { error = err or "body must be {\"patterns\": [...], \"passes\": n}" })
    end
    local passes = tonumber(body.passes) or 100
    if passes ~= math.floor(passes) or passes < 1 or passes > 500 then
      return reply(400, { error = "passes must be an integer in [1, 500]" })
    end
    return reply(200, require("gwsim_testbed.gateway").measure_regex_growth(body.patterns, passes))
  end
  if method == "POST" and uri == "/noop" then
    return reply(200, { version = store.noop() })
  end
  if method == "POST" and uri == "/config" then
    local routes, err = body_json()
    if type(routes) ~= "table" then
      return reply(400, { error = err or "body must be a JSON array of routes" })
    end
    for i, r in ipairs(routes) do
      if not is_route(r) or r.id == nil then
        return reply(400, { error = "route " .. i .. ": needs an integer id >= 1" })
      end
      local ok, perr = router.check_patterns(r)
      if not ok then
        return reply(400, { error = perr })
      end
    end
    return reply(200, { version = store.replace(routes), routes = #routes })
  end
  if uri == "/routes" and method == "POST" then
    local route, err = body_json()
    if not is_route(route) then
      return reply(400, { error = err or "body must be a route object with an optional integer id >= 1" })
    end
    local ok, perr = router.check_patterns(route)
    if not ok then
      return reply(400, { error = perr })
    end
    local new_id, version = store.create(route)
    if not new_id then
      return reply(400, { error = version })
    end
    return reply(201, { id = new_id, version = version })
  end
  if id and uri:sub(1, 8) == "/routes/" then
    if method == "PUT" then
      local route, err = body_json()
      if not is_route(route) then
        return reply(400, { error = err or "body must be a route object" })
      end
      local ok, perr = router.check_patterns(route)
      if not ok then
        return reply(400, { error = perr })
      end
      local version, missing = store.update(id, route)
      if not version then
        return reply(404, { error = missing })
      end
      return reply(200, { version = version })
    end
    if method == "DELETE" then
      local version, missing = store.delete(id)
      if not version then
        return reply(404, { error = missing })
      end
      return reply(200, { version = version })
    end
  end
  if id and uri:sub(1, 10) == "/services/" then
    if method == "PUT" then
      local service, err = body_json()
      if type(service) ~= "table" then
        return reply(400, { error = err or "body must be a JSON object" })
      end
      return reply(200, { version = store.put_service(id, service) })
    end
    if method == "DELETE" then
      local version, deleted = store.delete_service(id)
      return reply(200, { version = version, routes_deleted = deleted })
    end
  end
  return reply(404, { error = method .. " " .. uri .. " is not an admin endpoint" })
end

return _M

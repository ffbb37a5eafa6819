-- The configuration store every worker reads when it rebuilds its router:
-- routes kept in an nginx shared dict, one JSON entry per route, and read
-- page by page as Kong 2.x pages through its database (1,000 rows a page,
-- every row decoded), plus a version that every write bumps (Kong's
-- router:version). Shared by all workers of the gateway; writes come from
-- the admin API (admin.lua), reads from the workers' rebuilds (gateway.lua).
--
-- A write touches only its own rows, as a database write does: updating a
-- route re-encodes that route alone, and reading one route (an incremental
-- router's in-place change) decodes that route alone. The admin worker
-- therefore allocates about what Kong's would for a write, not a whole
-- page, and the status endpoint counts routes without reading them.
--
-- Keys in the dict:
--   version          integer, bumped by every write (no-op writes included)
--   count            number of routes
--   pages            number of pages
--   page:<k>         JSON array of the ids of page k's routes, in order,
--                    k = 1..pages (at most PAGE_SIZE ids)
--   route:<id>       JSON of route <id>
--   at:<id>          page holding route <id>
--   next_id          the next id create() hands out
--   service:<id>     JSON of a service (only its existence matters here)
--   change:<v>       JSON array of the route ids write v changed, or the
--                    string "all" (a replaced configuration, a service
--                    update); kept for the last CHANGE_LOG versions, so an
--                    incremental router can apply only what changed

local cjson = require "cjson.safe"

local _M = { PAGE_SIZE = 1000, CHANGE_LOG = 10000 }

local function dict()
  local d = ngx.shared.gwsim_config
  if not d then
    error("lua_shared_dict gwsim_config is not configured")
  end
  return d
end

local function check(ok, err, what)
  if not ok then
    error("config store full or failing (" .. what .. "): " .. tostring(err) .. "; raise config_dict_size")
  end
end

-- The ids of page k, in order.
local function page_ids(d, k)
  local text = d:get("page:" .. k)
  if not text then
    return {}
  end
  return cjson.decode(text) or {}
end

local function write_page_ids(d, k, ids)
  local text = #ids == 0 and "[]" or cjson.encode(ids)
  check(d:set("page:" .. k, text), nil, "page " .. k)
end

local function read_route(d, id)
  local text = d:get("route:" .. id)
  return text and cjson.decode(text) or nil
end

local function write_route(d, route)
  check(d:set("route:" .. route.id, cjson.encode(route)), nil, "route " .. route.id)
end

function _M.version()
  return dict():get("version") or 0
end

-- Bumps the version and logs what the write changed: `changed` is an
-- array of route ids, or "all".
local function bump(d, changed)
  local v, err = d:incr("version", 1, 0)
  check(v, err, "version")
  local text = changed == "all" and "all" or cjson.encode(changed)
  if text == "{}" then
    text = "[]"
  end
  check(d:set("change:" .. v, text), nil, "change log")
  d:delete("change:" .. (v - _M.CHANGE_LOG))
  return v
end

-- The route ids write `v` changed, "all", or nil when it is no longer logged.
function _M.changes(v)
  local text = dict():get("change:" .. v)
  if text == nil or text == "all" then
    return text
  end
  return cjson.decode(text)
end

-- The route with id `id`, or nil.
function _M.get(id)
  return read_route(dict(), id)
end

-- Replaces the whole configuration with `routes` (an array of route tables
-- with unique integer ids); returns the new version.
function _M.replace(routes)
  local d = dict()
  local old = d:get("pages") or 0
  for k = 1, old do
    for _, id in ipairs(page_ids(d, k)) do
      d:delete("route:" .. id)
      d:delete("at:" .. id)
    end
    d:delete("page:" .. k)
  end
  d:flush_expired()
  local max_id = 0
  local pages = 0
  for first = 1, #routes, _M.PAGE_SIZE do
    pages = pages + 1
    local ids = {}
    for i = first, math.min(first + _M.PAGE_SIZE - 1, #routes) do
      local r = routes[i]
      ids[#ids + 1] = r.id
      write_route(d, r)
      check(d:set("at:" .. r.id, pages), nil, "index")
      if r.id > max_id then
        max_id = r.id
      end
    end
    write_page_ids(d, pages, ids)
  end
  check(d:set("pages", pages), nil, "pages")
  check(d:set("count", #routes), nil, "count")
  check(d:set("next_id", max_id + 1), nil, "next_id")
  return bump(d, "all")
end

-- Every route, page by page (what a rebuild reads): calls f(page_routes)
-- for each page in order, every route of the page decoded.
function _M.each_page(f)
  local d = dict()
  local pages = d:get("pages") or 0
  for k = 1, pages do
    local page = {}
    for _, id in ipairs(page_ids(d, k)) do
      local r = read_route(d, id)
      if r then
        page[#page + 1] = r
      end
    end
    f(page)
  end
end

-- The number of routes (kept by every write: no route is read).
function _M.count()
  return dict():get("count") or 0
end

-- Creates a route (its id assigned when absent); returns id, version.
function _M.create(route)
  local d = dict()
  if route.id == nil then
    route.id = d:incr("next_id", 1, 1) - 1
  elseif d:get("at:" .. route.id) then
    return nil, "route " .. route.id .. " exists"
  end
  local pages = d:get("pages") or 0
  local ids = pages > 0 and page_ids(d, pages) or {}
  if pages == 0 or #ids >= _M.PAGE_SIZE then
    pages = pages + 1
    ids = {}
    check(d:set("pages", pages), nil, "pages")
  end
  ids[#ids + 1] = route.id
  write_route(d, route)
  write_page_ids(d, pages, ids)
  check(d:set("at:" .. route.id, pages), nil, "index")
  check(d:incr("count", 1, 0), nil, "count")
  local next_id = d:get("next_id") or 1
  if route.id >= next_id then
    d:set("next_id", route.id + 1)
  end
  return route.id, bump(d, { route.id })
end

-- Replaces route `id` by `route`; returns version, or nil and a message.
function _M.update(id, route)
  local d = dict()
  if not d:get("at:" .. id) then
    return nil, "no route " .. id
  end
  route.id = id
  write_route(d, route)
  return bump(d, { id })
end

-- Removes route `id` from its page and the dict (no version bump).
local function remove(d, id, k)
  local ids = page_ids(d, k)
  for i, x in ipairs(ids) do
    if x == id then
      table.remove(ids, i)
      break
    end
  end
  write_page_ids(d, k, ids)
  d:delete("route:" .. id)
  d:delete("at:" .. id)
  check(d:incr("count", -1, 0), nil, "count")
end

-- Deletes route `id`; returns version, or nil and a message.
function _M.delete(id)
  local d = dict()
  local k = d:get("at:" .. id)
  if not k then
    return nil, "no route " .. id
  end
  remove(d, id, k)
  return bump(d, { id })
end

-- Creates or updates a service; returns version.
function _M.put_service(id, service)
  local d = dict()
  check(d:set("service:" .. id, cjson.encode(service or {})), nil, "service")
  -- Every route of the service changes (Kong's entity graph); finding them
  -- takes a scan, so the log says "all".
  return bump(d, "all")
end

-- Deletes a service and, as Kong's cascade does, every route pointing to
-- it; returns version and the number of routes deleted.
function _M.delete_service(id)
  local d = dict()
  d:delete("service:" .. id)
  local ids = {}
  local pages = d:get("pages") or 0
  for k = 1, pages do
    for _, rid in ipairs(page_ids(d, k)) do
      local r = read_route(d, rid)
      if r and r.service == id then
        ids[#ids + 1] = rid
        remove(d, rid, k)
      end
    end
  end
  return bump(d, ids), #ids
end

-- A write that changes nothing but the version (Kong 2.x still rebuilds).
function _M.noop()
  return bump(dict(), {})
end

return _M

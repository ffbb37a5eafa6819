-- gwsim testbed: a router following Kong 2.x's "traditional" design
-- (kong/router.lua up to 2.8), written for this project so the simulator can
-- be calibrated against real LuaJIT memory and CPU behaviour.
--
-- Semantics agree with the C++ reference (models/router/reference_matcher,
-- marshalled_route, route); the structure follows Kong's: every build
-- deep-copies the routes, splits them per path (one marshalled entry per
-- path), sorts the entries, categorises them by the rules they match on,
-- builds hash indexes for plain hosts / plain uris / header names / methods /
-- snis, a length-sorted prefix list, a regex list and a wildcard-host list,
-- routes_by_* lists per category for the reduce step, and allocates NEW match
-- caches (resty.lrucache) of `cache_slots` slots.
--
--   local router = require "gwsim_testbed.router"
--   local r, err = router.new(routes, { cache_slots = 5000 })
--   local route = r:select(method, host, path, headers, scheme, sni)
--
-- Runs inside nginx's Lua module (ngx.re is required). The build is plain
-- loops and never yields unless opts.yield is given (then opts.yield() is
-- called every opts.yield_every routes / entries, as Kong >= 2.7 does).

local lrucache = require "resty.lrucache"
local bit = require "bit"

local band, bor = bit.band, bit.bor
local re_find = ngx.re.find
local find, sub, byte, lower, upper = string.find, string.sub, string.byte, string.lower, string.upper
local sort, concat = table.sort, table.concat
local type, pairs, tostring, next = type, pairs, tostring, next
local getmetatable = getmetatable
local setmetatable = setmetatable

local _M = { _VERSION = "0.1" }

-- Kong's MATCH_LRUCACHE_SIZE.
local DEFAULT_CACHE_SLOTS = 5000

-- Kong's MATCH_RULES: a route's category is the OR of the rules it uses.
-- Categories are tried by number of rules, then by bit value, so with equal
-- counts host > header > uri > method > sni.
local RULE_HOST = 0x40
local RULE_HEADER = 0x20
local RULE_URI = 0x10
local RULE_METHOD = 0x08
local RULE_SNI = 0x04

-- The order Kong's reduce step tries the rules of a category in.
local SORTED_RULES = { RULE_HOST, RULE_HEADER, RULE_URI, RULE_METHOD, RULE_SNI }

-- Kong's MATCH_SUBRULES, compared as one number (higher first): a wildcard
-- host with a port (4) outranks plain-hosts-only (2), which outranks a regex
-- path (1).
local SUB_REGEX_URI = 0x01
local SUB_PLAIN_HOSTS_ONLY = 0x02
local SUB_WILDCARD_HOST_PORT = 0x04

local EMPTY = {}

--------------------------------------------------------------------------
-- helpers shared with the request side
--------------------------------------------------------------------------

-- A path is a plain prefix when every character is in [a-zA-Z0-9.\-_~/%]
-- (2.x marshall_route); anything else makes it a regex. The `~` regex marker
-- is 3.x and not recognised.
local function is_regex_path(path)
  return find(path, "[^a-zA-Z0-9%.%-_~/%%]") ~= nil
end
_M.is_regex_path = is_regex_path

-- The router matches request_uri cut at the first `?` found from the second
-- character on; no decoding or normalisation.
function _M.strip_query(request_uri)
  if #request_uri < 2 then
    return request_uri
  end
  local q = find(request_uri, "?", 2, true)
  if q then
    return sub(request_uri, 1, q - 1)
  end
  return request_uri
end

local function only_digits(s)
  return find(s, "^[0-9]*$") ~= nil
end

local function with_port(host, port)
  if port == nil or port == "" then
    return host
  end
  return host .. ":" .. port
end

-- Kong's split_port: returns host_no_port, host_with_port, had_port. A
-- trailing `:digits` is the port; `[...]` brackets are peeled off IPv6
-- literals; an unbracketed IPv6 literal cannot be split. host_with_port
-- carries `default_port` when the name had none.
local function split_port(name, default_port)
  default_port = default_port or ""
  if byte(name, 1) == 91 then -- "["
    local n = #name
    if n > 1 and byte(name, n) == 93 then -- "]"
      return sub(name, 2, n - 1), with_port(name, default_port), false
    end
    local s = find(name, "]:", 2, true)
    if s then
      if s + 1 == n then
        return sub(name, 2, s - 1), name .. default_port, false
      end
      if only_digits(sub(name, s + 2)) then
        return sub(name, 2, s - 1), name, true
      end
    end
    return name, with_port(name, default_port), false
  end

  local colon = find(name, ":", 1, true)
  if not colon then
    return name, with_port(name, default_port), false
  end
  if colon == #name then
    local host = sub(name, 1, colon - 1)
    return host, with_port(host, default_port), false
  end
  if not only_digits(sub(name, colon + 1)) then
    if default_port ~= "" then
      return name, "[" .. name .. "]:" .. default_port, false
    end
    return name, name, false
  end
  return sub(name, 1, colon - 1), name, true
end
_M.split_port = split_port

-- The regex Kong derives from a wildcard host: `.` escaped, `*` -> `.+`, the
-- end anchored; a host without its own port lets any port match. It is
-- matched anchored ("ajo") against the request's host WITH port.
local function wildcard_host_regex(host)
  local parts = {}
  for i = 1, #host do
    local c = sub(host, i, i)
    if c == "." then
      parts[i] = "\\."
    elseif c == "*" then
      parts[i] = ".+"
    else
      parts[i] = c
    end
  end
  local _, _, had_port = split_port(host)
  if not had_port then
    parts[#parts + 1] = "(?::\\d+)?"
  end
  parts[#parts + 1] = "$"
  return concat(parts)
end
_M.wildcard_host_regex = wildcard_host_regex

-- Whether `re` compiles with the options the matcher uses, without the `o`
-- flag: the check neither fills nor cycles ngx.re's cache of compiled
-- patterns (lua_regex_cache_max_entries), which only matches use, as in Kong.
local function check_regex(re)
  local _, _, err = re_find("", re, "aj")
  if err then
    return nil, err
  end
  return true
end

--- Checks a route's patterns (regex paths, wildcard hosts) as Kong's Admin
--- API checks them when a route is written: Router.new compiles none, a
--- match compiles a pattern when it first needs it (through ngx.re's cache).
--- Returns true, or nil and a message naming the route and the pattern.
function _M.check_patterns(route)
  for _, h in ipairs(type(route.hosts) == "table" and route.hosts or {}) do
    if type(h) == "string" and find(h, "*", 1, true) then
      local ok, err = check_regex(wildcard_host_regex(h))
      if not ok then
        return nil, "route " .. tostring(route.id) .. ": invalid wildcard host '" .. h .. "': " .. err
      end
    end
  end
  for _, path in ipairs(type(route.paths) == "table" and route.paths or {}) do
    if type(path) == "string" and is_regex_path(path) then
      local ok, err = check_regex(path)
      if not ok then
        return nil, "route " .. tostring(route.id) .. ": invalid regex path '" .. path .. "': " .. err
      end
    end
  end
  return true
end

--------------------------------------------------------------------------
-- build
--------------------------------------------------------------------------

-- Deep copy of a route table (Kong deep-copies route and service per build).
local function deep_copy(t)
  if type(t) ~= "table" then
    return t
  end
  local out = {}
  for k, v in pairs(t) do
    out[k] = deep_copy(v)
  end
  return setmetatable(out, getmetatable(t))
end

local function is_array(t)
  return t[1] ~= nil or next(t) == nil
end

-- A route's header rules as an ordered list of { name, values }: the config
-- store may hold a map name -> values (sorted by name here, so the order is
-- deterministic) or a list of { name, values } pairs (kept in order).
local function route_headers(headers)
  local out = {}
  if headers == nil or headers == ngx.null then
    return out
  end
  if is_array(headers) then
    for i = 1, #headers do
      out[i] = { name = headers[i][1], values = headers[i][2] }
    end
  else
    local names = {}
    for name in pairs(headers) do
      names[#names + 1] = name
    end
    sort(names)
    for i = 1, #names do
      out[i] = { name = names[i], values = headers[names[i]] }
    end
  end
  return out
end

local function list(v)
  if v == nil or v == ngx.null then
    return EMPTY
  end
  return v
end

-- One marshalled entry of `route` (the route's deep copy) carrying `path`
-- (nil for a route without paths); Kong's marshall_route.
local function marshall(route, path, path_index)
  local e = {
    route = route,
    path_index = path_index,
    match_rules = 0,
    match_weight = 0,
    submatch_weight = 0,
    max_uri_length = 0,
    regex_priority = route.regex_priority or 0,
    created_at = route.created_at or 0,
    id = route.id or 0,
    hosts = {},        -- array of { value, wildcard, regex }
    plain_hosts = {},  -- plain host value -> true
    headers = {},      -- array of { name, values_map }
    uris = {},         -- array of { value, is_regex }
    methods = {},      -- upper-cased method -> true
    methods_list = {},
    snis = {},         -- sni -> true
    snis_list = {},
  }

  -- Hosts: a host containing `*` is a wildcard. Any wildcard clears
  -- PLAIN_HOSTS_ONLY; a wildcard carrying its own port sets
  -- HAS_WILDCARD_HOST_PORT.
  local hosts = list(route.hosts)
  if #hosts > 0 then
    local any_wildcard, wildcard_port = false, false
    for i = 1, #hosts do
      local h = hosts[i]
      if find(h, "*", 1, true) then
        any_wildcard = true
        local _, _, had_port = split_port(h)
        wildcard_port = wildcard_port or had_port
        e.hosts[i] = { value = h, wildcard = true, regex = wildcard_host_regex(h) }
      else
        e.hosts[i] = { value = h, wildcard = false }
        e.plain_hosts[h] = true
      end
    end
    e.match_rules = bor(e.match_rules, RULE_HOST)
    e.match_weight = e.match_weight + 1
    if not any_wildcard then
      e.submatch_weight = bor(e.submatch_weight, SUB_PLAIN_HOSTS_ONLY)
    end
    if wildcard_port then
      e.submatch_weight = bor(e.submatch_weight, SUB_WILDCARD_HOST_PORT)
    end
  end

  -- Headers: names and values lower-cased; a `host` header is ignored (that
  -- is what `hosts` is for). The number of header rules is a sort key.
  local hdrs = route_headers(route.headers)
  for i = 1, #hdrs do
    local name = lower(hdrs[i].name)
    if name ~= "host" then
      local values = hdrs[i].values
      if type(values) == "string" then
        values = { values }
      end
      local values_map = {}
      for j = 1, #list(values) do
        values_map[lower(values[j])] = true
      end
      e.headers[#e.headers + 1] = { name = name, values_map = values_map }
    end
  end
  if #e.headers > 0 then
    e.match_rules = bor(e.match_rules, RULE_HEADER)
    e.match_weight = e.match_weight + 1
  end

  -- Paths: one per entry. A prefix counts towards max_uri_length; a regex
  -- sets HAS_REGEX_URI and does not.
  if path ~= nil then
    e.match_rules = bor(e.match_rules, RULE_URI)
    e.match_weight = e.match_weight + 1
    if is_regex_path(path) then
      -- Not compiled here (Router.new compiles none): the Admin API checked
      -- it (check_patterns) and a match compiles it through ngx.re's cache.
      e.uris[1] = { value = path, is_regex = true }
      e.submatch_weight = bor(e.submatch_weight, SUB_REGEX_URI)
    else
      e.uris[1] = { value = path, is_regex = false }
      e.max_uri_length = #path
    end
  end

  -- Methods compare upper-cased on both sides.
  local methods = list(route.methods)
  if #methods > 0 then
    e.match_rules = bor(e.match_rules, RULE_METHOD)
    e.match_weight = e.match_weight + 1
    for i = 1, #methods do
      local m = upper(methods[i])
      if not e.methods[m] then
        e.methods[m] = true
        e.methods_list[#e.methods_list + 1] = m
      end
    end
  end

  -- SNIs compare exactly.
  local snis = list(route.snis)
  if #snis > 0 then
    e.match_rules = bor(e.match_rules, RULE_SNI)
    e.match_weight = e.match_weight + 1
    for i = 1, #snis do
      local s = snis[i]
      if not e.snis[s] then
        e.snis[s] = true
        e.snis_list[#e.snis_list + 1] = s
      end
    end
  end
  return e
end

-- Kong's sort_routes: submatch_weight desc, then header count desc, then
-- (only for regex-path entries) regex_priority desc, then max_uri_length
-- desc (prefix length), then created_at asc. Kong's table.sort is unstable
-- on full ties; like the C++ reference, ties are broken by route id, then by
-- the path's position in its route, so the order depends on the set only.
local function sorts_before(a, b)
  if a.submatch_weight ~= b.submatch_weight then
    return a.submatch_weight > b.submatch_weight
  end
  local na, nb = #a.headers, #b.headers
  if na ~= nb then
    return na > nb
  end
  if band(a.submatch_weight, SUB_REGEX_URI) ~= 0 and a.regex_priority ~= b.regex_priority then
    return a.regex_priority > b.regex_priority
  end
  if a.max_uri_length ~= b.max_uri_length then
    return a.max_uri_length > b.max_uri_length
  end
  if a.created_at ~= b.created_at then
    return a.created_at < b.created_at
  end
  if a.id ~= b.id then
    return a.id < b.id
  end
  return a.path_index < b.path_index
end

-- Appends to `out` the entries of `route` (already deep-copied): one per
-- path, or one path-less entry. Returns true, or nil and a message naming
-- the route (nothing is appended then).
local function marshall_route(route, out)
  local paths = list(route.paths)
  if #list(route.hosts) == 0 and #paths == 0 and #list(route.methods) == 0
     and #route_headers(route.headers) == 0 and #list(route.snis) == 0 then
    -- A route must set at least one field ("could not categorize route");
    -- one whose only header is `host` is accepted and lands in category 0.
    return nil, "route " .. tostring(route.id) .. ": could not categorize route"
  end
  if #paths == 0 then
    local e, err = marshall(route, nil, 0)
    if not e then
      return nil, err
    end
    out[#out + 1] = e
  else
    local n = #out
    for j = 1, #paths do
      local e, err = marshall(route, paths[j], j - 1)
      if not e then
        for k = #out, n + 1, -1 do
          out[k] = nil
        end
        return nil, err
      end
      out[n + j] = e
    end
  end
  return true
end

-- Kong's sort_categories: more rules first, then higher bit pattern.
local function category_before(a, b)
  if a.match_weight ~= b.match_weight then
    return a.match_weight > b.match_weight
  end
  return a.bits > b.bits
end

-- Calls f(list, key, e) for every routes_by_* list of category c that entry
-- e is filed under (one call per value of each of its rules).
local function each_rule_list(c, e, f)
  for i = 1, #e.hosts do
    f(c.routes_by_hosts, e.hosts[i].value, e)
  end
  for i = 1, #e.headers do
    f(c.routes_by_headers, e.headers[i].name, e)
  end
  for i = 1, #e.uris do
    f(c.routes_by_uris, e.uris[i].value, e)
  end
  for i = 1, #e.methods_list do
    f(c.routes_by_methods, e.methods_list[i], e)
  end
  for i = 1, #e.snis_list do
    f(c.routes_by_sni, e.snis_list[i], e)
  end
end

local function append(t, key, e)
  local l = t[key]
  if l == nil then
    l = {}
    t[key] = l
  end
  l[#l + 1] = e
end

-- Kong's categorize_route: per category, every entry (`all`, in sorted
-- order) and the routes_by_* lists the reduce step picks from. An entry is
-- appended once per occurrence of the key in its rules (a host listed twice
-- appears twice), as Kong's loops over the rules do.
local function categorize(categories, e)
  local bits = e.match_rules
  local c = categories[bits]
  if c == nil then
    c = {
      bits = bits,
      match_weight = e.match_weight,
      all = {},
      routes_by_hosts = {},
      routes_by_headers = {},
      routes_by_uris = {},
      routes_by_methods = {},
      routes_by_sni = {},
    }
    categories[bits] = c
  end
  c.all[#c.all + 1] = e
  each_rule_list(c, e, append)
end

-- Kong's index_route_t: the request-classification indexes, all in sorted
-- entry order.
local function index_entry(self, e)
  local idx = self.plain_indexes
  for i = 1, #e.hosts do
    local h = e.hosts[i]
    if h.wildcard then
      self.wildcard_hosts[#self.wildcard_hosts + 1] = h
    else
      idx.hosts[h.value] = true
    end
  end
  for i = 1, #e.headers do
    local name = e.headers[i].name
    if not idx.headers[name] then
      idx.headers[name] = true
      -- Header names in sorted entry order: the first one the request
      -- carries is its header hit (Kong iterates a hash here, i.e. in no
      -- defined order; the C++ reference fixes this order).
      self.header_names[#self.header_names + 1] = name
    end
  end
  for i = 1, #e.uris do
    local u = e.uris[i]
    if u.is_regex then
      self.regex_uris[#self.regex_uris + 1] = u
    else
      idx.uris[u.value] = true
      self.prefix_uris[#self.prefix_uris + 1] = u
    end
  end
  for i = 1, #e.methods_list do
    idx.methods[e.methods_list[i]] = true
  end
  for i = 1, #e.snis_list do
    idx.snis[e.snis_list[i]] = true
  end
end

-- Internals shared with the incremental router (incremental_router.lua),
-- which keeps the same structures up to date route by route and reuses
-- select() as is.
_M.internal = {
  each_rule_list = each_rule_list,
  deep_copy = deep_copy,
  marshall_route = marshall_route,
  sorts_before = sorts_before,
  category_before = category_before,
}

local mt = { __index = _M }

--- Builds a router. `routes` is an array of route tables (see the module
--- header); returns the router, or nil and a message naming the route for a
--- route with no matching field. Patterns are not compiled (check_patterns
--- is the Admin API's check).
--- opts: cache_slots (default 5000), negative_cache (default true: Kong 2.x
--- also caches misses in a second LRU of the same size), yield_every +
--- yield (a function called every yield_every routes / entries).
function _M.new(routes, opts)
  opts = opts or EMPTY
  local cache_slots = opts.cache_slots or DEFAULT_CACHE_SLOTS
  if type(cache_slots) ~= "number" or cache_slots < 1 then
    return nil, "cache_slots must be a positive number"
  end
  local yield = opts.yield
  local yield_every = opts.yield_every or 1000
  local counter = 0
  local function step()
    if yield then
      counter = counter + 1
      if counter >= yield_every then
        counter = 0
        yield()
      end
    end
  end

  -- Marshall: one deep copy per route, one entry per path (Kong splits a
  -- route with several paths before sorting so each path sorts on its own).
  local entries = {}
  for i = 1, #routes do
    local ok, err = marshall_route(deep_copy(routes[i]), entries)
    if not ok then
      return nil, err
    end
    step()
  end

  -- One table.sort call: it cannot yield, however the loops around it do.
  -- Its CPU is kept for the calibration (the part of a build that blocks
  -- requests even when the build yields).
  local sort_start = os.clock()
  sort(entries, sorts_before)
  local sort_cpu_s = os.clock() - sort_start

  local self = {
    paths = #entries,
    sort_cpu_s = sort_cpu_s,
    entries = entries,
    categories = {},
    categories_sorted = {},
    categories_lookup = {},
    plain_indexes = { hosts = {}, headers = {}, uris = {}, methods = {}, snis = {} },
    header_names = {},
    wildcard_hosts = {},
    regex_uris = {},
    prefix_uris = {},
  }

  for i = 1, #entries do
    local e = entries[i]
    categorize(self.categories, e)
    index_entry(self, e)
    step()
  end

  -- Kong's sort_categories (category_before).
  for _, c in pairs(self.categories) do
    self.categories_sorted[#self.categories_sorted + 1] = c
  end
  sort(self.categories_sorted, category_before)
  for i = 1, #self.categories_sorted do
    self.categories_lookup[self.categories_sorted[i].bits] = i
  end

  -- Kong's sort_uris: prefixes by length, longest first (the first prefix of
  -- the request path found is the longest). table.sort is unstable, but two
  -- prefixes of one path with equal length are the same string.
  -- The second table.sort call of a build, as unyieldable as the first; its
  -- CPU is kept for the calibration too.
  local prefix_sort_start = os.clock()
  sort(self.prefix_uris, function(a, b)
    return #a.value > #b.value
  end)
  self.prefix_sort_cpu_s = os.clock() - prefix_sort_start
  self.prefixes = #self.prefix_uris

  -- A NEW match cache per build (Kong 2.x before #8010 / 3.0 reused them),
  -- plus the negative cache for misses.
  self.cache = lrucache.new(cache_slots)
  if opts.negative_cache ~= false then
    self.cache_neg = lrucache.new(cache_slots)
  end
  return setmetatable(self, mt)
end

--------------------------------------------------------------------------
-- match
--------------------------------------------------------------------------

-- The request's values of header `name` (string or array), lower-cased and
-- tested against a rule's value set.
local function header_matches(rule, value)
  if type(value) == "table" then
    for i = 1, #value do
      if rule.values_map[lower(value[i])] then
        return true
      end
    end
    return false
  end
  return rule.values_map[lower(value)] == true
end

-- Kong's match_route: whether the request satisfies every rule of entry `e`.
local function match_entry(e, ctx)
  local rules = e.match_rules

  -- Host: a plain host equal to the Host header as sent (or the wildcard hit)
  -- or to the host without port; else a wildcard matching the host with port
  -- (the scheme's default port when none was sent). Case-sensitive: 2.x
  -- lower-cases neither side.
  if band(rules, RULE_HOST) ~= 0 then
    local ok = e.plain_hosts[ctx.hit_host or ctx.host] or e.plain_hosts[ctx.host_no_port]
    if not ok then
      for i = 1, #e.hosts do
        local h = e.hosts[i]
        if h.wildcard and re_find(ctx.host_with_port, h.regex, "ajo") then
          ok = true
          break
        end
      end
    end
    if not ok then
      return false
    end
  end

  -- Headers: every rule needs one request value equal (lower-cased) to one
  -- of its values.
  local headers = e.headers
  for i = 1, #headers do
    local rule = headers[i]
    local v = ctx.headers[rule.name]
    if v == nil or not header_matches(rule, v) then
      return false
    end
  end

  if band(rules, RULE_METHOD) ~= 0 and not e.methods[ctx.method] then
    return false
  end
  if band(rules, RULE_SNI) ~= 0 and not e.snis[ctx.sni] then
    return false
  end

  -- Path: a regex matches anchored at the start (a regex *prefix*); a plain
  -- path is a byte prefix.
  if band(rules, RULE_URI) ~= 0 then
    local u = e.uris[1]
    if u.is_regex then
      if not re_find(ctx.path, u.value, "ajo") then
        return false
      end
    elseif find(ctx.path, u.value, 1, true) ~= 1 then
      return false
    end
  end
  return true
end

-- Kong's reducers: the routes_by_* list of the category for the request's
-- hit on each rule of the category (host, header, uri, method, sni order);
-- the shortest non-empty one wins, the first on ties (as the C++ reference
-- does it).
local function reduce(c, ctx)
  local best, best_len
  local bits = c.bits
  for i = 1, #SORTED_RULES do
    local rule = SORTED_RULES[i]
    if band(bits, rule) ~= 0 then
      local l
      if rule == RULE_HOST then
        l = c.routes_by_hosts[ctx.hit_host or ctx.host]
      elseif rule == RULE_HEADER then
        l = ctx.hit_header and c.routes_by_headers[ctx.hit_header]
      elseif rule == RULE_URI then
        l = ctx.hit_uri and c.routes_by_uris[ctx.hit_uri]
      elseif rule == RULE_METHOD then
        l = c.routes_by_methods[ctx.method]
      else
        l = c.routes_by_sni[ctx.sni]
      end
      if l and #l > 0 and (best == nil or #l < best_len) then
        best, best_len = l, #l
      end
    end
  end
  return best
end

-- The cache key: method|uri|host|sni plus the values of the headers some
-- route matches on (Kong's cache key; src/dst are not modelled). Like Kong's,
-- it does not include the scheme, although the scheme's default port decides
-- whether a port-less host matches a wildcard host with a port.
local function cache_key(self, method, host, path, headers, sni)
  local key = method .. "|" .. path .. "|" .. host .. "|" .. sni
  local names = self.header_names
  if #names > 0 then
    local parts = { key }
    for i = 1, #names do
      local v = headers[names[i]]
      if v ~= nil then
        if type(v) == "table" then
          local copy = {}
          for j = 1, #v do
            copy[j] = lower(v[j])
          end
          sort(copy)
          v = concat(copy, ",")
        else
          v = lower(v)
        end
        parts[#parts + 1] = names[i] .. "=" .. v
      end
    end
    key = concat(parts, "|")
  end
  return key
end

--- The route Kong 2.x would select, or nil. `headers` maps lower-cased
--- header names to a value or an array of values (ngx.req.get_headers());
--- a `host` entry is never a header rule target. `scheme` ("http"/"https")
--- only picks the default port (80/443) appended to a port-less host for
--- wildcard matching.
function _M.select(self, method, host, path, headers, scheme, sni)
  method = upper(method or "")
  host = host or ""
  path = path or ""
  headers = headers or EMPTY
  sni = sni or ""

  local key = cache_key(self, method, host, path, headers, sni)
  local hit = self.cache:get(key)
  if hit then
    return hit
  end
  if self.cache_neg and self.cache_neg:get(key) then
    return nil
  end

  local host_no_port, host_with_port = split_port(host, scheme == "https" and "443" or "80")
  local ctx = {
    method = method,
    host = host,
    host_no_port = host_no_port,
    host_with_port = host_with_port,
    path = path,
    headers = headers,
    sni = sni,
    hit_host = nil,
    hit_header = nil,
    hit_uri = nil,
  }
  local idx = self.plain_indexes
  local category = 0

  -- Header hit: the first indexed header name the request carries (any
  -- value).
  local names = self.header_names
  for i = 1, #names do
    if headers[names[i]] ~= nil then
      ctx.hit_header = names[i]
      category = bor(category, RULE_HEADER)
      break
    end
  end

  -- Host hit: a plain host equal to the host with or without port; else the
  -- first wildcard (sorted order) matching the host with port.
  if idx.hosts[host_with_port] or idx.hosts[host_no_port] then
    category = bor(category, RULE_HOST)
  else
    local wildcards = self.wildcard_hosts
    for i = 1, #wildcards do
      if re_find(host_with_port, wildcards[i].regex, "ajo") then
        ctx.hit_host = wildcards[i].value
        category = bor(category, RULE_HOST)
        break
      end
    end
  end

  -- URI hit: the first regex (sorted order) matching at the start; else a
  -- plain path equal to the request path; else the longest prefix.
  local regexes = self.regex_uris
  for i = 1, #regexes do
    if re_find(path, regexes[i].value, "ajo") then
      ctx.hit_uri = regexes[i].value
      break
    end
  end
  if not ctx.hit_uri then
    if idx.uris[path] then
      ctx.hit_uri = path
    else
      local prefixes = self.prefix_uris
      for i = 1, #prefixes do
        if find(path, prefixes[i].value, 1, true) == 1 then
          ctx.hit_uri = prefixes[i].value
          break
        end
      end
    end
  end
  if ctx.hit_uri then
    category = bor(category, RULE_URI)
  end

  if idx.methods[method] then
    category = bor(category, RULE_METHOD)
  end
  if idx.snis[sni] then
    category = bor(category, RULE_SNI)
  end

  -- A request that hits no rule of any route matches nothing (not even a
  -- category-0 route).
  if category ~= 0 then
    -- Categories from the request's own one (or the first) on: an earlier
    -- category needs a rule the request does not hit.
    local sorted = self.categories_sorted
    for ci = self.categories_lookup[category] or 1, #sorted do
      local c = sorted[ci]
      -- Kong's reduce: the smallest routes_by_* list first, then the whole
      -- category in sorted order.
      local reduced = reduce(c, ctx)
      if reduced then
        for i = 1, #reduced do
          if match_entry(reduced[i], ctx) then
            local route = reduced[i].route
            self.cache:set(key, route)
            return route
          end
        end
      end
      local all = c.all
      for i = 1, #all do
        if match_entry(all[i], ctx) then
          local route = all[i].route
          self.cache:set(key, route)
          return route
        end
      end
    end
  end

  if self.cache_neg then
    self.cache_neg:set(key, true)
  end
  return nil
end

return _M

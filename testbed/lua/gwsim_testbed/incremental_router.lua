-- gwsim testbed: an incremental router in the style of Kong 3.x's
-- incremental router rebuilds ("add, remove and update single routes in
-- O(delta log N), the match cache flushed rather than reallocated"), for
-- comparison with the traditional full-rebuild router (router.lua).
--
-- It selects exactly what router.lua (and the C++ reference) selects for the
-- same route set, after any sequence of changes: it keeps router.lua's own
-- structures (categories with their sorted `all` and routes_by_* lists, the
-- sorted category list, plain indexes, header names, wildcard hosts, regex
-- and prefix lists) up to date entry by entry, and uses router.lua's
-- select() unchanged on them. Marshalling and the sort order are router.lua's
-- (router.internal), so a route marshals to the same entries in both.
--
--   local irouter = require "gwsim_testbed.incremental_router"
--   local r, err = irouter.new(routes, { cache_slots = 5000 })
--   local ok, err = r:add(route)       -- a new id
--   local ok, err = r:update(route)    -- replaces the route with route.id
--   local ok, err = r:remove(id)
--   local route = r:select(method, host, path, headers, scheme, sni)
--
-- Costs below: N = number of entries (paths) held, d = entries of the
-- changed route, k = its rule values (hosts, header names, methods, snis),
-- and "a list of size m" costs O(log m) comparisons (sorts_before) to find
-- a position plus up to m element moves for table.insert / table.remove (a
-- plain array shift of the touched list only, never a rebuild of the
-- router; m <= N). C = the number of categories, at most 2^5 = 32. So a
-- change is O(d k log N) comparisons plus the shifts of the lists it
-- touches, plus one cache flush; nothing is rebuilt and nothing is
-- allocated per unchanged route.
--
-- Route ids identify routes: a set or an add with a repeated id is rejected.

local router = require "gwsim_testbed.router"
local lrucache = require "resty.lrucache"

local internal = router.internal
local deep_copy = internal.deep_copy
local marshall_route = internal.marshall_route
local sorts_before = internal.sorts_before
local category_before = internal.category_before
local each_rule_list = internal.each_rule_list

local rshift = require("bit").rshift
local tinsert, tremove, sort = table.insert, table.remove, table.sort
local type, tostring, setmetatable = type, tostring, setmetatable

local _M = { _VERSION = "0.1" }

-- Kong's MATCH_LRUCACHE_SIZE.
local DEFAULT_CACHE_SLOTS = 5000
local EMPTY = {}

-- Matching (cache key, classification, categories, reduce, match_route) is
-- router.lua's, run on the structures kept here.
_M.select = router.select

-- Re-exported helpers.
_M.strip_query = router.strip_query
_M.split_port = router.split_port
_M.is_regex_path = router.is_regex_path
_M.wildcard_host_regex = router.wildcard_host_regex

local mt = { __index = _M }

--------------------------------------------------------------------------
-- sorted lists (O(log m) search, O(m) shift)
--------------------------------------------------------------------------

-- The first position i in `l` with not before(l[i], x) (#l + 1 if none).
local function lower_bound(l, x, before)
  local lo, hi = 1, #l + 1
  while lo < hi do
    local mid = rshift(lo + hi, 1)
    if before(l[mid], x) then
      lo = mid + 1
    else
      hi = mid
    end
  end
  return lo
end

-- Inserts x at its sorted position (after nothing equal: entries are
-- totally ordered by sorts_before, ids and path positions breaking ties).
-- Appending in sorted order (the constructor) shifts nothing.
local function sorted_insert(l, x, before)
  local n = #l
  if n == 0 or before(l[n], x) then
    l[n + 1] = x
    return
  end
  tinsert(l, lower_bound(l, x, before), x)
end

-- Removes every copy of x (copies are adjacent: a host listed twice puts
-- the entry twice in a routes_by_hosts list). `key` maps an element to what
-- is compared with x (the element itself by default).
local function sorted_remove(l, x, before, key)
  local i = lower_bound(l, x, before)
  if key then
    while l[i] ~= nil and key(l[i]) == x do
      tremove(l, i)
    end
  else
    while l[i] == x do
      tremove(l, i)
    end
  end
end

-- Items of the wildcard / regex lists are { entry, pos, value, regex }:
-- ordered by their entry (sorted order), then by position in the entry, as
-- router.lua's index_entry appends them.
local function item_before(a, b)
  if a.entry ~= b.entry then
    return sorts_before(a.entry, b.entry)
  end
  return a.pos < b.pos
end
-- Compares an item with an entry (for removal of all of an entry's items).
local function item_before_entry(a, e)
  return a.entry ~= e and sorts_before(a.entry, e)
end
local function item_entry(a)
  return a.entry
end

-- Kong's sort_uris: prefixes longest first (the first prefix of the request
-- path found is the longest). Distinct values only (refcounted in
-- plain_indexes.uris), ties by value so the order is total.
local function prefix_before(a, b)
  local la, lb = #a.value, #b.value
  if la ~= lb then
    return la > lb
  end
  return a.value < b.value
end

local function incr(t, k)
  local n = (t[k] or 0) + 1
  t[k] = n
  return n
end

local function decr(t, k)
  local n = t[k] - 1
  if n == 0 then
    t[k] = nil
  else
    t[k] = n
  end
  return n
end

--------------------------------------------------------------------------
-- categories (Kong's categorize_route / sort_categories)
--------------------------------------------------------------------------

-- O(C): rebuild bits -> position after a category appears or disappears.
local function relookup(self)
  local lookup = {}
  local sorted = self.categories_sorted
  for i = 1, #sorted do
    lookup[sorted[i].bits] = i
  end
  self.categories_lookup = lookup
end

local function list_add(t, key, e)
  local l = t[key]
  if l == nil then
    l = {}
    t[key] = l
  end
  sorted_insert(l, e, sorts_before)
end

-- Removes every copy of e from t[key]; a value repeated in the route's
-- rules finds its list already cleared (or gone) on the second call.
local function list_remove(t, key, e)
  local l = t[key]
  if l == nil then
    return
  end
  sorted_remove(l, e, sorts_before)
  if #l == 0 then
    t[key] = nil -- router.lua never holds an empty list
  end
end

-- Puts `e` into its category (created and inserted into the sorted category
-- list when new: O(C)): `all` and one routes_by_* list per rule value, each
-- once per occurrence of the value in the route's rules, as Kong's loops do.
-- O(k log m + shifts) for lists of size m.
local function categorize_add(self, e)
  local bits = e.match_rules
  local c = self.categories[bits]
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
    self.categories[bits] = c
    sorted_insert(self.categories_sorted, c, category_before)
    relookup(self)
  end
  sorted_insert(c.all, e, sorts_before)
  each_rule_list(c, e, list_add)
end

-- The reverse of categorize_add; an emptied category is dropped (O(C)) so
-- the category list is router.lua's for the same set.
local function categorize_remove(self, e)
  local c = self.categories[e.match_rules]
  sorted_remove(c.all, e, sorts_before)
  each_rule_list(c, e, list_remove)
  if #c.all == 0 then
    self.categories[c.bits] = nil
    tremove(self.categories_sorted, self.categories_lookup[c.bits])
    relookup(self)
  end
end

--------------------------------------------------------------------------
-- request-classification indexes (Kong's index_route_t)
--------------------------------------------------------------------------

-- header_names: every header name some entry matches on, ordered by the
-- first entry (sorted order) carrying it, then by its position among that
-- entry's header rules: the order router.lua's index_entry appends them in.
-- The first one the request carries is its header hit, and the list makes
-- the cache key. Per name, header_entries[name] is the sorted list of the
-- entries carrying it (each once), so its first entry is the name's key.
local function header_before_for(self)
  local entries = self.header_entries
  return function(a, b)
    local ea, eb = entries[a][1], entries[b][1]
    if ea ~= eb then
      return sorts_before(ea, eb)
    end
    return ea.header_pos[a] < ea.header_pos[b]
  end
end

-- The entry's header names, each once, in rule order; header_pos[name] is
-- the position of its first rule.
local function header_names_of(e)
  if e.header_pos then
    return e.header_name_list
  end
  local pos, names = {}, {}
  for i = 1, #e.headers do
    local name = e.headers[i].name
    if not pos[name] then
      pos[name] = i
      names[#names + 1] = name
    end
  end
  e.header_pos, e.header_name_list = pos, names
  return names
end

-- O(k (log m + m)) with m the size of the touched lists (wildcard hosts,
-- regex paths, prefix paths, one header's entries, header names).
local function index_add(self, e)
  local idx = self.plain_indexes
  -- Hosts: plain hosts refcounted (a set to select()); wildcards kept in
  -- sorted entry order, the first matching one is the request's host hit.
  for i = 1, #e.hosts do
    local h = e.hosts[i]
    if h.wildcard then
      sorted_insert(self.wildcard_hosts, { entry = e, pos = i, value = h.value, regex = h.regex }, item_before)
    else
      incr(idx.hosts, h.value)
    end
  end
  -- Header names (see header_before_for): a name whose first entry changes
  -- moves in header_names.
  local names = header_names_of(e)
  local before = self.header_before
  for i = 1, #names do
    local name = names[i]
    local l = self.header_entries[name]
    if l == nil then
      self.header_entries[name] = { e }
      sorted_insert(self.header_names, name, before)
    elseif sorts_before(e, l[1]) then
      sorted_remove(self.header_names, name, before)
      sorted_insert(l, e, sorts_before)
      sorted_insert(self.header_names, name, before)
    else
      sorted_insert(l, e, sorts_before)
    end
    incr(idx.headers, name)
  end
  -- Paths: regexes in sorted entry order (the first matching one is the
  -- request's uri hit); plain paths refcounted for the equality lookup and
  -- kept once each in the longest-first prefix list.
  for i = 1, #e.uris do
    local u = e.uris[i]
    if u.is_regex then
      sorted_insert(self.regex_uris, { entry = e, pos = i, value = u.value }, item_before)
    elseif incr(idx.uris, u.value) == 1 then
      sorted_insert(self.prefix_uris, { value = u.value }, prefix_before)
    end
  end
  for i = 1, #e.methods_list do
    incr(idx.methods, e.methods_list[i])
  end
  for i = 1, #e.snis_list do
    incr(idx.snis, e.snis_list[i])
  end
end

-- The reverse of index_add, same cost.
local function index_remove(self, e)
  local idx = self.plain_indexes
  local any_wildcard = false
  for i = 1, #e.hosts do
    local h = e.hosts[i]
    if h.wildcard then
      any_wildcard = true
    else
      decr(idx.hosts, h.value)
    end
  end
  if any_wildcard then
    sorted_remove(self.wildcard_hosts, e, item_before_entry, item_entry)
  end
  local names = header_names_of(e)
  local before = self.header_before
  for i = 1, #names do
    local name = names[i]
    local l = self.header_entries[name]
    if l[1] == e then
      sorted_remove(self.header_names, name, before)
      tremove(l, 1)
      if #l == 0 then
        self.header_entries[name] = nil
      else
        sorted_insert(self.header_names, name, before)
      end
    else
      sorted_remove(l, e, sorts_before)
    end
    decr(idx.headers, name)
  end
  for i = 1, #e.uris do
    local u = e.uris[i]
    if u.is_regex then
      sorted_remove(self.regex_uris, e, item_before_entry, item_entry)
    elseif decr(idx.uris, u.value) == 0 then
      local probe = { value = u.value }
      local l = self.prefix_uris
      tremove(l, lower_bound(l, probe, prefix_before))
    end
  end
  for i = 1, #e.methods_list do
    decr(idx.methods, e.methods_list[i])
  end
  for i = 1, #e.snis_list do
    decr(idx.snis, e.snis_list[i])
  end
end

local function insert_entry(self, e)
  categorize_add(self, e)
  index_add(self, e)
  self.paths = self.paths + 1
end

local function remove_entry(self, e)
  categorize_remove(self, e)
  index_remove(self, e)
  self.paths = self.paths - 1
end

-- Marshals a deep copy of `route` (router.lua's marshall_route: the same
-- Kong rules and error messages). O(d + k); patterns are not compiled (the
-- Admin API checks them, a match compiles them).
local function marshall(route)
  if type(route) ~= "table" then
    return nil, "route must be a table"
  end
  if route.id == nil or route.id == ngx.null then
    -- Ids identify routes here (router.lua only uses them to break ties).
    return nil, "route without an id"
  end
  local entries = {}
  local ok, err = marshall_route(deep_copy(route), entries)
  if not ok then
    return nil, err
  end
  return entries
end

-- Flushes the match caches in place (Kong 3.x reuses the router's LRU:
-- flush_all rather than a new lrucache): table.clear of the cache's hash
-- tables and one queue splice, O(slots) at most, independent of N, and no
-- allocation.
local function flush(self)
  self.cache:flush_all()
  if self.cache_neg then
    self.cache_neg:flush_all()
  end
end

--------------------------------------------------------------------------
-- API
--------------------------------------------------------------------------

--- Builds a router from `routes` (router.lua's route tables); returns it,
--- or nil and a message naming the first route router.lua rejects (or a
--- repeated id). opts: cache_slots (default 5000), negative_cache (default
--- true), as router.lua. Cost: O(N log N): marshal, one sort, then every
--- entry inserted in sorted order (each insertion appends to its lists,
--- nothing shifts; only the longest-first prefix list takes O(log m) search
--- and shifts).
function _M.new(routes, opts)
  opts = opts or EMPTY
  local cache_slots = opts.cache_slots or DEFAULT_CACHE_SLOTS
  if type(cache_slots) ~= "number" or cache_slots < 1 then
    return nil, "cache_slots must be a positive number"
  end
  local self = setmetatable({
    paths = 0,
    routes = {},           -- id -> { entries = { ... } }
    categories = {},
    categories_sorted = {},
    categories_lookup = {},
    plain_indexes = { hosts = {}, headers = {}, uris = {}, methods = {}, snis = {} },
    header_names = {},
    header_entries = {},
    wildcard_hosts = {},
    regex_uris = {},
    prefix_uris = {},
  }, mt)
  self.header_before = header_before_for(self)

  local all = {}
  for i = 1, #routes do
    local route = routes[i]
    local entries, err = marshall(route)
    if not entries then
      return nil, err
    end
    if self.routes[route.id] then
      return nil, "route " .. tostring(route.id) .. ": repeated route id"
    end
    self.routes[route.id] = { entries = entries }
    for j = 1, #entries do
      all[#all + 1] = entries[j]
    end
  end
  sort(all, sorts_before)
  for i = 1, #all do
    insert_entry(self, all[i])
  end

  -- One cache for the router's lifetime, flushed on every change.
  self.cache = lrucache.new(cache_slots)
  if opts.negative_cache ~= false then
    self.cache_neg = lrucache.new(cache_slots)
  end
  return self
end

--- Adds `route` (an id not held). Returns true, or nil and a message (then
--- nothing changed). O(d k (log N + m)) index work (m: sizes of the touched
--- lists), O(C) if a category appears, plus the cache flush.
function _M.add(self, route)
  local entries, err = marshall(route)
  if not entries then
    return nil, err
  end
  if self.routes[route.id] then
    return nil, "route " .. tostring(route.id) .. ": repeated route id"
  end
  self.routes[route.id] = { entries = entries }
  for i = 1, #entries do
    insert_entry(self, entries[i])
  end
  flush(self)
  return true
end

--- Removes the route with id `id`. Returns true, or nil and a message when
--- no route has that id. Same cost as add.
function _M.remove(self, id)
  local held = self.routes[id]
  if not held then
    return nil, "route " .. tostring(id) .. ": no such route"
  end
  self.routes[id] = nil
  for i = 1, #held.entries do
    remove_entry(self, held.entries[i])
  end
  flush(self)
  return true
end

--- Replaces the route with route.id by `route` (any field may change:
--- paths, hosts, methods, headers, snis, regex_priority, created_at).
--- Returns true, or nil and a message (then nothing changed): the new route
--- is marshalled before the old one is removed. Cost: remove + add, one
--- flush.
function _M.update(self, route)
  local entries, err = marshall(route)
  if not entries then
    return nil, err
  end
  local held = self.routes[route.id]
  if not held then
    return nil, "route " .. tostring(route.id) .. ": no such route"
  end
  for i = 1, #held.entries do
    remove_entry(self, held.entries[i])
  end
  self.routes[route.id] = { entries = entries }
  for i = 1, #entries do
    insert_entry(self, entries[i])
  end
  flush(self)
  return true
end

return _M

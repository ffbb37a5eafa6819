#include "models/router/route_index.hpp"

#include <algorithm>
#include <mutex>
#include <stdexcept>

#include "models/router/byte_estimates.hpp"
#include "models/router/regex.hpp"
#include "models/router/view_table.hpp"

namespace gwsim::router {

namespace {

void bump(string_map<std::size_t>& table, std::string_view key, bool add) {
  if (add) {
    auto it = table.find(key);
    if (it == table.end()) {
      it = table.emplace(std::string(key), 0).first;
    }
    ++it->second;
    return;
  }
  const auto it = table.find(key);
  if (it != table.end() && --it->second == 0) {
    table.erase(it);
  }
}

/// Every pattern an entry holds (one reference each).
template <class F>
void for_each_pattern(const marshalled_route& m, const F& f) {
  for (const auto& h : m.hosts) {
    if (h.wildcard != nullptr) {
      f(h.wildcard);
    }
  }
  for (const auto& u : m.uris) {
    if (u.re != nullptr) {
      f(u.re);
    }
  }
}

constexpr std::size_t tree_node_overhead = 4 * sizeof(void*);

}  // namespace

// ---- first-occurrence indexes ----------------------------------------------

void route_index::first_index::add(std::string_view value, occurrence o) {
  auto it = by_value.find(value);
  if (it == by_value.end()) {
    it = by_value.try_emplace(std::string(value)).first;
    it->second.literal_host = wildcard_host_is_literal(value);
    if (free_ids.empty()) {
      it->second.id = static_cast<std::uint32_t>(by_id.size());
      by_id.push_back(&*it);
    } else {
      it->second.id = free_ids.back();
      free_ids.pop_back();
      by_id[it->second.id] = &*it;
    }
  }
  auto& occ = it->second.occ;
  if (!occ.empty()) {
    if (!occurrence_less{}(o, *occ.begin())) {
      occ.insert(o);
      return;
    }
    firsts.erase(first{*occ.begin(), &it->first, it->second.id});
  }
  occ.insert(o);
  firsts.insert(first{o, &it->first, it->second.id});
}

void route_index::first_index::remove(std::string_view value, occurrence o) {
  const auto it = by_value.find(value);
  if (it == by_value.end()) {
    return;
  }
  auto& occ = it->second.occ;
  const bool was_first = !occ.empty() && occ.begin()->e == o.e && occ.begin()->pos == o.pos;
  if (was_first) {
    firsts.erase(first{o, &it->first, it->second.id});
  }
  occ.erase(o);
  if (occ.empty()) {
    free_ids.push_back(it->second.id);
    by_id[it->second.id] = nullptr;
    by_value.erase(it);
  } else if (was_first) {
    firsts.insert(first{*occ.begin(), &it->first, it->second.id});
  }
}

std::size_t route_index::first_index::bytes() const {
  std::size_t n = estimate::hash_overhead(by_value.bucket_count(), by_value.size(), sizeof(value_entry));
  for (const auto& [value, info] : by_value) {
    n += estimate::heap_bytes(value) + info.occ.size() * (sizeof(occurrence) + tree_node_overhead);
  }
  return n + firsts.size() * (sizeof(first) + tree_node_overhead) + estimate::flat_bytes(free_ids) + estimate::flat_bytes(by_id);
}

// ---- records ---------------------------------------------------------------

std::unique_ptr<route_index::record> route_index::prepare(const route& r) {
  auto rec = std::make_unique<record>();
  rec->r = r;
  std::vector<marshalled_route> marshalled;
  try {
    /// The entries view the record's own copy of the route.
    marshalled = marshall_routes(std::span<const route>(&rec->r, 1), regexes_);
  } catch (...) {
    /// Patterns compiled by the failed call are referenced by nothing.
    auto drop = [this](const std::string& pattern) {
      const auto it = regexes_.find(pattern);
      if (it != regexes_.end() && !regex_refs_.contains(it->second.get())) {
        regexes_.erase(it);
      }
    };
    for (const auto& h : r.hosts) {
      if (h.find('*') != std::string::npos) {
        drop(wildcard_host_regex(h));
      }
    }
    for (const auto& p : r.paths) {
      if (is_regex_path(p)) {
        drop(p);
      }
    }
    throw;
  }
  rec->entries.reserve(marshalled.size());
  for (auto& m : marshalled) {
    const std::uint32_t rank = category_rank(m.match_rules);
    const precedence_key key = make_precedence_key(m, rec->r, rank);
    indexed_entry& ie = rec->entries.emplace_back();
    ie.m = std::move(m);
    ie.r = &rec->r;
    ie.category_rank = rank;
    ie.key = key;
    if ((ie.m.match_rules & rule_method) != 0) {
      ie.method_filter = 0;
      for (const auto method : ie.m.methods) {
        ie.method_filter |= method_bit(method);
      }
    }
    if ((ie.m.match_rules & rule_host) != 0) {
      ie.host_filter = 0;
      for (const auto& h : ie.m.hosts) {
        if (h.wildcard == nullptr) {
          ie.host_filter |= host_bit(h.hash);
        }
      }
    }
  }
  retain(*rec);
  return rec;
}

void route_index::retain(const record& rec) {
  for (const auto& e : rec.entries) {
    for_each_pattern(e.m, [this](const regex* re) { ++regex_refs_[re]; });
  }
}

void route_index::release(std::unique_ptr<record> rec) {
  if (!rec) {
    return;
  }
  for (const auto& e : rec->entries) {
    for_each_pattern(e.m, [this](const regex* re) {
      const auto it = regex_refs_.find(re);
      if (it != regex_refs_.end() && --it->second == 0) {
        regex_refs_.erase(it);
        const std::string pattern = re->pattern();  /// a copy: erasing destroys `re`
        regexes_.erase(pattern);
      }
    });
  }
}

const route_index::record& route_index::insert(std::unique_ptr<record> rec) {
  const std::uint32_t id = rec->r.id;
  for (auto& e : rec->entries) {
    index(e, true);
    if (!e.m.uris.empty() && e.m.uris.front().re != nullptr) {
      e.regex_id = regex_uris_.by_value.find(e.m.uris.front().value)->second.id;
    }
    for (const auto& h : e.m.hosts) {
      if (h.wildcard != nullptr) {
        e.wildcard_id = e.wildcard_id == indexed_entry::no_id ? wildcard_hosts_.by_value.find(h.value)->second.id
                                                               : indexed_entry::many_wildcards;
      }
    }
    global_.insert(e);  /// after the regex id, which its lists copy
  }
  const record& stored = *rec;
  records_.emplace(id, std::move(rec));
  return stored;
}

bool route_index::remove(std::uint32_t id) {
  const auto it = records_.find(id);
  if (it == records_.end()) {
    return false;
  }
  for (const auto& e : it->second->entries) {
    global_.erase(e);
    index(e, false);
  }
  std::unique_ptr<record> rec = std::move(it->second);
  records_.erase(it);
  release(std::move(rec));
  return true;
}

const route_index::record* route_index::find(std::uint32_t id) const {
  const auto it = records_.find(id);
  return it == records_.end() ? nullptr : it->second.get();
}

void route_index::index(const indexed_entry& e, bool add) {
  const marshalled_route& m = e.m;
  category_counts& cat = categories_[(m.match_rules >> 2U) & 0x1FU];
  for (std::uint32_t pos = 0; pos < m.hosts.size(); ++pos) {
    const host_rule& h = m.hosts[pos];
    bump(cat.by_host, h.value, add);
    if (h.wildcard == nullptr) {
      bump(plain_hosts_, h.value, add);
    } else if (add) {
      wildcard_hosts_.add(h.value, {&e, pos});
    } else {
      wildcard_hosts_.remove(h.value, {&e, pos});
    }
  }
  for (std::uint32_t pos = 0; pos < m.headers.size(); ++pos) {
    const header_rule& h = m.headers[pos];
    bump(cat.by_header, h.name, add);
    if (add) {
      headers_.add(h.name, {&e, pos});
    } else {
      headers_.remove(h.name, {&e, pos});
    }
  }
  for (std::uint32_t pos = 0; pos < m.uris.size(); ++pos) {
    const uri_rule& u = m.uris[pos];
    bump(cat.by_uri, u.value, add);
    if (u.re != nullptr) {
      index_regex(e, pos, add);
    }
  }
  for (const auto& method : m.methods) {
    bump(cat.by_method, method, add);
    bump(methods_, method, add);
  }
  for (const auto& sni : m.snis) {
    bump(cat.by_sni, sni, add);
    bump(snis_, sni, add);
  }
}

void route_index::group(const value_entry* v, bool add) {
  for (const auto& literal : regex_literal_prefixes(v->first)) {
    if (add) {
      regex_group& g = regex_groups_.at(literal);
      const auto at = std::lower_bound(g.members.begin(), g.members.end(), v,
                                       [](const value_entry* a, const value_entry* b) {
                                         return occurrence_less{}(*a->second.occ.begin(), *b->second.occ.begin());
                                       });
      if (at == g.members.end() || *at != v) {  /// a literal listed twice files the value once
        g.ids.insert(g.ids.begin() + (at - g.members.begin()), v->second.id);
        g.members.insert(at, v);
      }
      g.ready.store(false, std::memory_order_relaxed);
      g.alternation.reset();
      continue;
    }
    regex_group* found = regex_groups_.find(literal);
    if (found == nullptr) {
      continue;
    }
    regex_group& g = *found;
    const auto at = std::find(g.members.begin(), g.members.end(), v);
    if (at != g.members.end()) {
      g.ids.erase(g.ids.begin() + (at - g.members.begin()));
      g.members.erase(at);
      g.ready.store(false, std::memory_order_relaxed);
      g.alternation.reset();
    }
    regex_groups_.prune(literal, [](const regex_group& x) { return x.members.empty(); });
  }
}

void route_index::index_regex(const indexed_entry& e, std::uint32_t pos, bool add) {
  /// A value is filed in its groups at its first occurrence: when that
  /// changes, the value leaves its groups and comes back at its new place.
  const std::string_view value = e.m.uris[pos].value;
  const occurrence o{&e, pos};
  auto it = regex_uris_.by_value.find(value);
  if (add) {
    if (it != regex_uris_.by_value.end()) {
      if (!occurrence_less{}(o, *it->second.occ.begin())) {
        regex_uris_.add(value, o);
        return;
      }
      group(&*it, false);
    }
    regex_uris_.add(value, o);
    group(&*regex_uris_.by_value.find(value), true);
    return;
  }
  if (it == regex_uris_.by_value.end()) {
    return;
  }
  const auto& first = *it->second.occ.begin();
  const bool was_first = first.e == o.e && first.pos == o.pos;
  if (!was_first) {
    regex_uris_.remove(value, o);
    return;
  }
  group(&*it, false);
  regex_uris_.remove(value, o);
  it = regex_uris_.by_value.find(value);
  if (it != regex_uris_.by_value.end()) {
    group(&*it, true);
  }
}

// ---- matching --------------------------------------------------------------

match_context route_index::context(const request& req) const {
  return make_match_context(req, [this](const std::string& name) { return headers_.by_value.contains(name); });
}

void route_index::context(const request& req, match_context& ctx) const {
  fill_match_context(req, [this](const std::string& name) { return headers_.by_value.contains(name); }, ctx);
}

host_probe route_index::probe(const match_context& ctx) noexcept {
  host_probe h;
  h.raw = ctx.raw_host;
  h.raw_hash = view_table::hash(h.raw);
  h.no_port = ctx.host.host_no_port;
  h.no_port_hash = h.no_port == h.raw ? h.raw_hash : view_table::hash(h.no_port);
  return h;
}

namespace {

/// Scratch state of the thread, reused by every match: the merge heads and
/// the memoised regex and wildcard answers, valid for the current
/// generation only (one generation per match, so no clearing).
struct match_scratch {
  std::uint64_t generation = 0;
  std::vector<std::uint64_t> regex_memo;     ///< per regex value id: (generation << 1) | answer
  std::vector<std::uint64_t> wildcard_memo;  ///< per wildcard value id: the same
  std::vector<entry_range> heads;
};

match_scratch& scratch() {
  thread_local match_scratch s;
  return s;
}

/// Compiles alternations that are used concurrently for the first time.
std::mutex& alternation_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

const route* route_index::pick(const std::vector<entry_range>& ranges, match_context& ctx) const {
  return pick(ranges, ctx, global_.longest_prefix(ctx.path), probe(ctx));
}

const route* route_index::pick(const std::vector<entry_range>& ranges, match_context& ctx, hit_string longest,
                               const host_probe& probe) const {
  match_scratch& s = scratch();
  const std::uint64_t gen = ++s.generation;
  if (s.regex_memo.size() < regex_uris_.by_id.size()) {
    s.regex_memo.resize(regex_uris_.by_id.size(), 0);
  }
  if (s.wildcard_memo.size() < wildcard_hosts_.by_id.size()) {
    s.wildcard_memo.resize(wildcard_hosts_.by_id.size(), 0);
  }
  auto remember = [gen](std::uint64_t& slot, bool answer) {
    slot = (gen << 1U) | (answer ? 1U : 0U);
    return answer;
  };
  auto known = [gen](std::uint64_t slot) { return (slot >> 1U) == gen; };

  /// URI hit: the first matching regex value (in first-occurrence order)
  /// among the groups whose literal starts the path; each group's
  /// alternation names its first matching member, so the earlier members
  /// fail and that one matches. Else the longest prefix.
  auto regex_of = [](const value_entry* v) {
    const occurrence& o = *v->second.occ.begin();
    return o.e->m.uris[o.pos].re;
  };
  auto regex_matches = [&](const value_entry* v) {
    std::uint64_t& slot = s.regex_memo[v->second.id];
    return known(slot) ? (slot & 1U) != 0 : remember(slot, regex_of(v)->matches_prefix(ctx.path));
  };
  const value_entry* regex_hit = nullptr;
  regex_groups_.for_each_prefix_of(ctx.path, [&](const regex_group& g) {
    if (!g.ready.load(std::memory_order_acquire)) {
      const std::lock_guard<std::mutex> lock(alternation_mutex());
      if (!g.ready.load(std::memory_order_relaxed)) {
        if (g.members.size() > 1) {
          std::vector<std::string_view> patterns;
          patterns.reserve(g.members.size());
          for (const auto* v : g.members) {
            patterns.emplace_back(v->first);
          }
          g.alternation = compiled_alternation(patterns);
        }
        g.ready.store(true, std::memory_order_release);
      }
    }
    std::size_t from = 0;
    if (g.alternation != nullptr) {
      const int first = g.alternation->first_alternative(ctx.path);
      if (first != -2) {
        const std::size_t settled = first == -1 ? g.members.size() : static_cast<std::size_t>(first);
        for (std::size_t i = 0; i < settled; ++i) {
          remember(s.regex_memo[g.ids[i]], false);
        }
        if (first == -1) {
          return;
        }
        remember(s.regex_memo[g.ids[settled]], true);
        from = settled;
      }
    }
    for (std::size_t i = from; i < g.members.size(); ++i) {
      const value_entry* v = g.members[i];
      if (regex_hit != nullptr && !occurrence_less{}(*v->second.occ.begin(), *regex_hit->second.occ.begin())) {
        return;  /// no earlier value left in this group
      }
      if (regex_matches(v)) {
        regex_hit = v;
        return;
      }
    }
  });
  ctx.hit_uri = regex_hit != nullptr ? hit_string(&regex_hit->first) : longest;

  /// Host hit: a plain host equal to the host with or without port (known
  /// without a lookup once a candidate matched the host without port by a
  /// plain host); else (computed when first needed) the first wildcard, by
  /// first occurrence, matching the host with port.
  bool plain_known = false;
  bool plain = false;
  auto plain_hit = [&]() {
    if (!plain_known) {
      plain_known = true;
      plain = !plain_hosts_.empty() &&
              (plain_hosts_.contains(ctx.host.host_with_port) || plain_hosts_.contains(ctx.host.host_no_port));
    }
    return plain;
  };
  auto wildcard_matches = [&](std::uint32_t id) {
    std::uint64_t& slot = s.wildcard_memo[id];
    if (known(slot)) {
      return (slot & 1U) != 0;
    }
    const value_entry* v = wildcard_hosts_.by_id[id];
    const occurrence& o = *v->second.occ.begin();
    return remember(slot,
                    (!v->second.literal_host || wildcard_host_may_match(v->first, ctx.host.host_with_port)) &&
                        o.e->m.hosts[o.pos].wildcard->matches_prefix(ctx.host.host_with_port));
  };
  bool host_known = false;
  auto hit_host = [&]() {
    if (!host_known) {
      host_known = true;
      if (!plain_hit()) {
        for (const auto& f : wildcard_hosts_.firsts) {
          if (wildcard_matches(f.id)) {
            ctx.hit_host = f.value;
            break;
          }
        }
      }
    }
    return ctx.hit_host != nullptr;
  };
  /// Header hit: among the request's (wanted) header names, the one whose
  /// first occurrence comes first in sort_routes order.
  bool header_known = false;
  auto hit_header = [&]() {
    if (!header_known) {
      header_known = true;
      const occurrence* best = nullptr;
      for (const auto& [name, values] : ctx.headers) {
        const auto it = headers_.by_value.find(name);
        if (it == headers_.by_value.end()) {
          continue;
        }
        const occurrence& o = *it->second.occ.begin();
        if (best == nullptr || occurrence_less{}(o, *best)) {
          best = &o;
          ctx.hit_header = &it->first;
        }
      }
    }
    return ctx.hit_header != nullptr;
  };
  /// find_route's classification hits something (a request that hits
  /// nothing matches nothing, not even a route of category 0).
  auto any_hit = [&]() {
    return ctx.hit_uri != nullptr || plain_hit() || methods_.contains(ctx.method) ||
           (!snis_.empty() && snis_.contains(ctx.sni)) || hit_header() || hit_host();
  };

  /// matches() with the memoised patterns, cheapest rules first.
  auto entry_matches = [&](const indexed_entry& ie) {
    const marshalled_route& m = ie.m;
    if ((m.match_rules & rule_method) != 0 &&
        std::find(m.methods.begin(), m.methods.end(), ctx.method) == m.methods.end()) {
      return false;
    }
    if ((m.match_rules & rule_sni) != 0 && std::find(m.snis.begin(), m.snis.end(), ctx.sni) == m.snis.end()) {
      return false;
    }
    if ((m.match_rules & rule_host) != 0) {
      /// A plain host equals the host without port, or the host as sent
      /// when no wildcard was hit (Kong compares with the hit wildcard
      /// then, which no plain host equals); else a wildcard matches.
      bool ok = false;
      bool wildcards = false;
      for (const auto& h : m.hosts) {
        if (h.wildcard != nullptr) {
          wildcards = true;
        } else if (h.hash == probe.no_port_hash && h.value == ctx.host.host_no_port) {
          plain_known = true;  /// a plain host of some route: Kong's plain host hit
          plain = true;
          ok = true;
          break;
        } else if (h.hash == probe.raw_hash && h.value == ctx.raw_host && !hit_host()) {
          ok = true;
          break;
        }
      }
      for (std::size_t i = 0; !ok && wildcards && i < m.hosts.size(); ++i) {
        const host_rule& h = m.hosts[i];
        if (h.wildcard != nullptr) {
          ok = wildcard_matches(wildcard_hosts_.by_value.find(h.value)->second.id);
        }
      }
      if (!ok) {
        return false;
      }
    }
    for (const auto& h : m.headers) {
      const auto* values = ctx.header(h.name);
      if (values == nullptr || std::none_of(values->begin(), values->end(), [&h](const std::string& v) {
            return std::find(h.values.begin(), h.values.end(), v) != h.values.end();
          })) {
        return false;
      }
    }
    if ((m.match_rules & rule_uri) == 0) {
      return true;
    }
    const uri_rule& u = m.uris.front();
    if (u.re == nullptr) {
      return ctx.path.starts_with(u.value);
    }
    std::uint64_t& slot = s.regex_memo[ie.regex_id];
    return known(slot) ? (slot & 1U) != 0 : remember(slot, u.re->matches_prefix(ctx.path));
  };

  /// Lazy k-way merge of the precedence-ordered lists (k is small: the
  /// keys on the path and their host lists).
  auto& heads = s.heads;
  heads.assign(ranges.begin(), ranges.end());
  auto next = [&]() -> const entry_slot* {
    std::size_t best = heads.size();
    for (std::size_t i = 0; i < heads.size(); ++i) {
      if (heads[i].begin != heads[i].end && (best == heads.size() || heads[i].begin->key < heads[best].begin->key)) {
        best = i;
      }
    }
    if (best == heads.size()) {
      return nullptr;
    }
    return heads[best].begin++;
  };

  enum class rule { none, host, header, uri, method, sni };
  rule chosen = rule::none;
  std::string_view host_key;
  auto choose = [&](std::uint32_t bits) {
    const category_counts& cat = categories_[(bits >> 2U) & 0x1FU];
    std::size_t chosen_size = 0;
    auto consider = [&](rule r, const count_table& table, std::string_view key) {
      const auto it = table.find(key);
      const std::size_t n = it == table.end() ? 0 : it->second;
      if (n != 0 && (chosen == rule::none || n < chosen_size)) {
        chosen = r;
        chosen_size = n;
      }
    };
    if ((bits & rule_host) != 0) {
      host_key = hit_host() ? *ctx.hit_host : ctx.raw_host;
      consider(rule::host, cat.by_host, host_key);
    }
    if ((bits & rule_header) != 0 && hit_header()) {
      consider(rule::header, cat.by_header, *ctx.hit_header);
    }
    if ((bits & rule_uri) != 0 && ctx.hit_uri != nullptr) {
      consider(rule::uri, cat.by_uri, *ctx.hit_uri);
    }
    if ((bits & rule_method) != 0) {
      consider(rule::method, cat.by_method, ctx.method);
    }
    if ((bits & rule_sni) != 0) {
      consider(rule::sni, cat.by_sni, ctx.sni);
    }
  };
  auto in_reduced = [&](const marshalled_route& e) {
    switch (chosen) {
      case rule::host:
        return std::any_of(e.hosts.begin(), e.hosts.end(), [&](const host_rule& h) { return h.value == host_key; });
      case rule::header:
        return std::any_of(e.headers.begin(), e.headers.end(),
                           [&](const header_rule& h) { return h.name == *ctx.hit_header; });
      case rule::uri:
        return std::any_of(e.uris.begin(), e.uris.end(), [&](const uri_rule& u) { return u.value == *ctx.hit_uri; });
      case rule::method:
        return std::find(e.methods.begin(), e.methods.end(), ctx.method) != e.methods.end();
      case rule::sni:
        return std::find(e.snis.begin(), e.snis.end(), ctx.sni) != e.snis.end();
      case rule::none:
        break;
    }
    return false;
  };

  const std::uint32_t request_method = method_bit(ctx.method);
  const std::uint32_t request_hosts = host_bit(probe.raw_hash) | host_bit(probe.no_port_hash);
  /// Whether the first matching entry is in every routes_by_* list that
  /// could be the reduced one (those of its category's rules for the
  /// request's hits): then it wins whichever list is chosen, and the count
  /// tables need not be read. It matched, so it is always in the method and
  /// SNI lists.
  auto in_every_list = [&](const marshalled_route& m) {
    if ((m.match_rules & rule_host) != 0) {
      const bool wildcard = hit_host();
      const std::string_view key = wildcard ? *ctx.hit_host : ctx.raw_host;
      if (std::none_of(m.hosts.begin(), m.hosts.end(), [&](const host_rule& h) {
            return (wildcard || h.hash == probe.raw_hash) && h.value == key;
          })) {
        return false;
      }
    }
    if ((m.match_rules & rule_header) != 0 && hit_header() &&
        std::none_of(m.headers.begin(), m.headers.end(), [&](const header_rule& h) { return h.name == *ctx.hit_header; })) {
      return false;
    }
    return (m.match_rules & rule_uri) == 0 || ctx.hit_uri == nullptr ||
           std::any_of(m.uris.begin(), m.uris.end(), [&](const uri_rule& u) { return u.value == *ctx.hit_uri; });
  };

  const indexed_entry* first = nullptr;
  const indexed_entry* prev = nullptr;
  while (const entry_slot* slot = next()) {
    const indexed_entry* e = slot->e;
    if (e == prev) {
      continue;  /// the same entry reached through two lists
    }
    prev = e;
    if (first != nullptr && slot->category_rank() != first->category_rank) {
      break;
    }
    /// The slot's filters first: a method surely not among the entry's, a
    /// regex already known to fail, hosts that surely differ from the
    /// request's while the entry's only wildcard (if any) fails.
    if ((slot->method_filter & request_method) == 0) {
      continue;
    }
    if (slot->regex_id != indexed_entry::no_id) {
      const std::uint64_t memo = s.regex_memo[slot->regex_id];
      if (known(memo) && (memo & 1U) == 0) {
        continue;
      }
    }
    if (slot->host_filter != UINT32_MAX && (slot->host_filter & request_hosts) == 0 &&
        (slot->wildcard_id == indexed_entry::no_id ||
         (slot->wildcard_id != indexed_entry::many_wildcards && !wildcard_matches(slot->wildcard_id)))) {
      continue;
    }
    if (!entry_matches(*e)) {
      continue;
    }
    if (first == nullptr) {
      if (!any_hit()) {
        return nullptr;
      }
      first = e;
      if (in_every_list(e->m)) {
        return e->r;
      }
      choose(e->m.match_rules);
      if (chosen == rule::none || in_reduced(e->m)) {
        return e->r;
      }
      continue;
    }
    if (in_reduced(e->m)) {
      return e->r;
    }
  }
  return first != nullptr ? first->r : nullptr;
}

std::size_t route_index::bytes() const {
  using namespace estimate;
  std::size_t n = hash_overhead(records_.bucket_count(), records_.size(),
                                sizeof(std::pair<const std::uint32_t, std::unique_ptr<record>>));
  for (const auto& [id, rec] : records_) {
    const route& r = rec->r;
    n += sizeof(record) + heap_bytes(r.hosts) + heap_bytes(r.paths) + heap_bytes(r.methods) + heap_bytes(r.snis);
    n += flat_bytes(r.headers);
    for (const auto& [name, values] : r.headers) {
      n += heap_bytes(name) + heap_bytes(values);
    }
    n += flat_bytes(rec->entries);
    for (const auto& ie : rec->entries) {
      n += marshalled_heap_bytes(ie.m);
    }
  }
  n += regex_cache_bytes(regexes_);
  n += hash_overhead(regex_refs_.bucket_count(), regex_refs_.size(),
                     sizeof(std::pair<const regex* const, std::size_t>));
  n += headers_.bytes() + wildcard_hosts_.bytes() + regex_uris_.bytes();
  n += regex_groups_.bytes();
  regex_groups_.for_each([&n](const regex_group& g) {
    n += flat_bytes(g.members) + flat_bytes(g.ids);
    if (g.alternation != nullptr) {
      n += sizeof(regex) + heap_bytes(g.alternation->pattern());
    }
  });
  n += heap_bytes(plain_hosts_) + heap_bytes(methods_) + heap_bytes(snis_);
  for (const auto& c : categories_) {
    n += heap_bytes(c.by_host) + heap_bytes(c.by_header) + heap_bytes(c.by_uri) + heap_bytes(c.by_method) +
         heap_bytes(c.by_sni);
  }
  return n + global_.bytes();
}

}  // namespace gwsim::router

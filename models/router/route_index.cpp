#include "models/router/route_index.hpp"

#include <algorithm>
#include <stdexcept>

#include "models/router/byte_estimates.hpp"
#include "models/router/regex.hpp"

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

/// A necessary condition for the host rule of matches(), without PCRE2:
/// wildcard hosts are prefiltered (wildcard_host_may_match()), so most
/// entries whose host cannot match are dropped before a pattern is run.
bool host_may_match(const marshalled_route& m, const match_context& ctx) {
  if ((m.match_rules & rule_host) == 0) {
    return true;
  }
  const std::string_view req_host = ctx.hit_host != nullptr ? std::string_view(*ctx.hit_host) : ctx.raw_host;
  for (const auto& h : m.hosts) {
    if (h.wildcard == nullptr) {
      if (h.value == req_host || h.value == ctx.host.host_no_port) {
        return true;
      }
    } else if (!wildcard_host_is_literal(h.value) || wildcard_host_may_match(h.value, ctx.host.host_with_port)) {
      return true;
    }
  }
  return false;
}

}  // namespace

// ---- first-occurrence indexes ----------------------------------------------

void route_index::first_index::add(std::string_view value, occurrence o) {
  auto it = by_value.find(value);
  if (it == by_value.end()) {
    it = by_value.try_emplace(std::string(value)).first;
  }
  auto& occ = it->second;
  if (!occ.empty()) {
    if (!occurrence_less{}(o, *occ.begin())) {
      occ.insert(o);
      return;
    }
    firsts.erase(first{*occ.begin(), &it->first});
  }
  occ.insert(o);
  firsts.insert(first{o, &it->first});
}

void route_index::first_index::remove(std::string_view value, occurrence o) {
  const auto it = by_value.find(value);
  if (it == by_value.end()) {
    return;
  }
  auto& occ = it->second;
  const bool was_first = !occ.empty() && occ.begin()->e == o.e && occ.begin()->pos == o.pos;
  if (was_first) {
    firsts.erase(first{o, &it->first});
  }
  occ.erase(o);
  if (occ.empty()) {
    by_value.erase(it);
  } else if (was_first) {
    firsts.insert(first{*occ.begin(), &it->first});
  }
}

std::size_t route_index::first_index::bytes() const {
  std::size_t n = estimate::hash_overhead(by_value.bucket_count(), by_value.size(),
                                          sizeof(std::pair<const std::string, std::set<occurrence, occurrence_less>>));
  for (const auto& [value, occ] : by_value) {
    n += estimate::heap_bytes(value) + occ.size() * (sizeof(occurrence) + tree_node_overhead);
  }
  return n + firsts.size() * (sizeof(first) + tree_node_overhead);
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
    rec->entries.push_back(indexed_entry{std::move(m), &rec->r, rank});
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
  const record& stored = *rec;
  records_.emplace(id, std::move(rec));
  for (const auto& e : stored.entries) {
    index(e, true);
  }
  return stored;
}

bool route_index::remove(std::uint32_t id) {
  const auto it = records_.find(id);
  if (it == records_.end()) {
    return false;
  }
  for (const auto& e : it->second->entries) {
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
      if (add) {
        const bool fresh = !regex_uris_.by_value.contains(u.value);
        regex_uris_.add(u.value, {&e, pos});
        if (fresh) {
          const auto* key = &*regex_uris_.by_value.find(u.value);
          for (const auto& literal : regex_literal_prefixes(u.value)) {
            regex_literals_.at(literal).insert(key);
          }
        }
      } else {
        const auto it = regex_uris_.by_value.find(u.value);
        const auto* key = it == regex_uris_.by_value.end() ? nullptr : &*it;
        regex_uris_.remove(u.value, {&e, pos});
        if (key != nullptr && !regex_uris_.by_value.contains(u.value)) {
          for (const auto& literal : regex_literal_prefixes(u.value)) {
            const auto lit = regex_literals_.by_literal.find(literal);
            if (lit != regex_literals_.by_literal.end()) {
              lit->second.erase(key);
              regex_literals_.prune(literal, [](const auto& values) { return values.empty(); });
            }
          }
        }
      }
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
  if (add) {
    global_.insert(e);
  } else {
    global_.erase(e);
  }
}

// ---- matching --------------------------------------------------------------

match_context route_index::context(const request& req) const {
  return make_match_context(req, [this](const std::string& name) { return headers_.by_value.contains(name); });
}

std::uint32_t route_index::classify(match_context& ctx, std::vector<const entry_set*>* ranges) const {
  std::uint32_t req_category = 0;
  /// Header: among the request's (wanted) header names, the one whose first
  /// occurrence comes first in sort_routes order.
  const occurrence* best = nullptr;
  for (const auto& [name, values] : ctx.headers) {
    const auto it = headers_.by_value.find(name);
    if (it == headers_.by_value.end()) {
      continue;
    }
    const occurrence& o = *it->second.begin();
    if (best == nullptr || occurrence_less{}(o, *best)) {
      best = &o;
      ctx.hit_header = &it->first;
    }
  }
  if (ctx.hit_header != nullptr) {
    req_category |= rule_header;
  }
  /// Host: a plain host equal to the host with or without port; else the
  /// first wildcard (by first occurrence) matching the host with port.
  if (plain_hosts_.contains(ctx.host.host_with_port) || plain_hosts_.contains(ctx.host.host_no_port)) {
    req_category |= rule_host;
  } else {
    for (const auto& f : wildcard_hosts_.firsts) {
      const std::string& value = *f.value;
      if (wildcard_host_is_literal(value) && !wildcard_host_may_match(value, ctx.host.host_with_port)) {
        continue;
      }
      if (f.at.e->m.hosts[f.at.pos].wildcard->matches_prefix(ctx.host.host_with_port)) {
        ctx.hit_host = f.value;
        req_category |= rule_host;
        break;
      }
    }
  }
  /// URI: the first matching regex (only those whose literal prefix the
  /// path starts with can match; they are tried in first-occurrence order);
  /// else the longest prefix.
  thread_local std::vector<first_index::first> regexes;
  regexes.clear();
  regex_literals_.for_each_prefix_of(ctx.path, [&](const std::unordered_set<const first_index::value_entry*>& values) {
    for (const auto* v : values) {
      regexes.push_back({*v->second.begin(), &v->first});
    }
  });
  std::sort(regexes.begin(), regexes.end(), first_index::first_less{});
  for (const auto& f : regexes) {
    if (f.at.e->m.uris[f.at.pos].re->matches_prefix(ctx.path)) {
      ctx.hit_uri = f.value;
      break;
    }
  }
  thread_local std::vector<const entry_set*> scratch;
  scratch.clear();
  const std::string* longest =
      global_.collect(ctx.path, ctx.raw_host, ctx.host.host_no_port, ranges != nullptr ? *ranges : scratch);
  if (ctx.hit_uri == nullptr) {
    ctx.hit_uri = longest;
  }
  if (ctx.hit_uri != nullptr) {
    req_category |= rule_uri;
  }
  if (methods_.contains(ctx.method)) {
    req_category |= rule_method;
  }
  if (!snis_.empty() && snis_.contains(ctx.sni)) {
    req_category |= rule_sni;
  }
  return req_category;
}

const route* route_index::pick(const std::vector<const entry_set*>& ranges, const match_context& ctx) const {
  /// Lazy k-way merge of the precedence-ordered sets (k is small: the trie
  /// nodes on the path plus two side sets).
  constexpr std::size_t max_inline = 64;
  std::array<std::pair<entry_set::const_iterator, entry_set::const_iterator>, max_inline> inline_heads{};
  std::vector<std::pair<entry_set::const_iterator, entry_set::const_iterator>> heap_heads;
  std::pair<entry_set::const_iterator, entry_set::const_iterator>* heads = inline_heads.data();
  if (ranges.size() > max_inline) {
    heap_heads.resize(ranges.size());
    heads = heap_heads.data();
  }
  const std::size_t k = ranges.size();
  for (std::size_t i = 0; i < k; ++i) {
    heads[i] = {ranges[i]->begin(), ranges[i]->end()};
  }
  const precedence_less less;
  auto next = [&]() -> const indexed_entry* {
    std::size_t best = k;
    for (std::size_t i = 0; i < k; ++i) {
      if (heads[i].first != heads[i].second && (best == k || less(*heads[i].first, *heads[best].first))) {
        best = i;
      }
    }
    if (best == k) {
      return nullptr;
    }
    return *heads[best].first++;
  };

  enum class rule { none, host, header, uri, method, sni };
  rule chosen = rule::none;
  const std::string_view host_key = ctx.hit_host != nullptr ? std::string_view(*ctx.hit_host) : ctx.raw_host;
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
      consider(rule::host, cat.by_host, host_key);
    }
    if ((bits & rule_header) != 0 && ctx.hit_header != nullptr) {
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

  const indexed_entry* first = nullptr;
  const indexed_entry* prev = nullptr;
  while (const indexed_entry* e = next()) {
    if (e == prev) {
      continue;  /// the same entry reached through two sets
    }
    prev = e;
    if (first != nullptr && e->category_rank != first->category_rank) {
      break;
    }
    if (!host_may_match(e->m, ctx) || !matches(e->m, ctx)) {
      continue;
    }
    if (first == nullptr) {
      first = e;
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
  n += hash_overhead(regex_literals_.by_literal.bucket_count(), regex_literals_.by_literal.size(),
                     sizeof(std::pair<const std::string, std::unordered_set<const first_index::value_entry*>>));
  for (const auto& [literal, values] : regex_literals_.by_literal) {
    n += heap_bytes(literal) + hash_overhead(values.bucket_count(), values.size(), sizeof(const first_index::value_entry*));
  }
  n += heap_bytes(plain_hosts_) + heap_bytes(methods_) + heap_bytes(snis_);
  for (const auto& c : categories_) {
    n += heap_bytes(c.by_host) + heap_bytes(c.by_header) + heap_bytes(c.by_uri) + heap_bytes(c.by_method) +
         heap_bytes(c.by_sni);
  }
  return n + global_.bytes();
}

}  // namespace gwsim::router

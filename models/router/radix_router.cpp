#include "models/router/radix_router.hpp"

#include "models/router/byte_estimates.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <span>
#include <string_view>
#include <utility>

namespace gwsim::router {

namespace {

template <class T>
bool contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

radix_router::radix_router(std::vector<route> routes)
    : routes_(std::move(routes)), entries_(marshall_routes(routes_, regexes_)) {
  /// Categories in Kong's order, and each entry's category.
  std::map<std::uint32_t, std::size_t> by_bits;
  for (const auto& e : entries_) {
    if (by_bits.try_emplace(e.match_rules, categories_.size()).second) {
      categories_.push_back({});
      categories_.back().bits = e.match_rules;
      categories_.back().match_weight = e.match_weight;
    }
  }
  std::stable_sort(categories_.begin(), categories_.end(), [](const category& a, const category& b) {
    return category_precedes(a.match_weight, a.bits, b.match_weight, b.bits);
  });
  for (std::size_t c = 0; c < categories_.size(); ++c) {
    by_bits[categories_[c].bits] = c;
  }

  category_of_.resize(entries_.size());
  string_set seen_wildcards;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const marshalled_route& e = entries_[i];
    const std::size_t c = by_bits.at(e.match_rules);
    category_of_[i] = static_cast<std::uint32_t>(c);

    /// Reduced-list sizes: one occurrence per matching rule value, as
    /// Kong's routes_by_* tables hold them.
    category& cat = categories_[c];
    for (const auto& h : e.hosts) {
      ++cat.by_host[h.value];
    }
    for (const auto& h : e.headers) {
      ++cat.by_header[h.name];
    }
    for (const auto& u : e.uris) {
      ++cat.by_uri[u.value];
    }
    for (const auto& m : e.methods) {
      ++cat.by_method[m];
    }
    for (const auto& s : e.snis) {
      ++cat.by_sni[s];
    }

    /// Classification indexes.
    for (const auto& h : e.headers) {
      if (header_name_set_.insert(h.name).second) {
        header_names_.push_back(h.name);
      }
    }
    for (const auto& h : e.hosts) {
      if (h.wildcard == nullptr) {
        plain_hosts_.insert(h.value);
      } else if (seen_wildcards.insert(h.value).second) {
        wildcard_hosts_.push_back({&h.value, h.wildcard});
      }
    }
    for (const auto& m : e.methods) {
      methods_.insert(m);
    }
    for (const auto& s : e.snis) {
      snis_.insert(s);
    }
  }
  index_ = path_host_index(entries_);
}

const route* radix_router::match(const request& req) const {
  match_context ctx =
      make_match_context(req, [this](const std::string& name) { return header_name_set_.contains(name); });

  /// 1. Classify the request (find_route).
  std::uint32_t req_category = 0;
  for (const auto& name : header_names_) {
    if (ctx.header(name) != nullptr) {
      ctx.hit_header = &name;
      req_category |= rule_header;
      break;
    }
  }
  if (plain_hosts_.contains(ctx.host.host_with_port) || plain_hosts_.contains(ctx.host.host_no_port)) {
    req_category |= rule_host;
  } else {
    for (const auto& w : wildcard_hosts_) {
      if (w.re->matches_prefix(ctx.host.host_with_port)) {
        ctx.hit_host = w.value;
        req_category |= rule_host;
        break;
      }
    }
  }
  /// Candidates by path and host; the same walk gives the uri hit (the
  /// first matching regex, else the longest prefix).
  thread_local std::vector<std::uint32_t> candidates;
  const path_host_index::result hits =
      index_.candidates(ctx.path, ctx.raw_host, ctx.host.host_no_port, candidates);
  ctx.hit_uri = hits.regex_hit != nullptr ? hits.regex_hit : hits.longest_prefix;
  if (ctx.hit_uri != nullptr) {
    req_category |= rule_uri;
  }
  if (methods_.contains(ctx.method)) {
    req_category |= rule_method;
  }
  if (snis_.contains(ctx.sni)) {
    req_category |= rule_sni;
  }
  if (req_category == 0) {
    return nullptr;
  }

  /// 2. Candidates that pass the shared predicate.
  std::erase_if(candidates, [&](std::uint32_t idx) { return !matches(entries_[idx], ctx); });
  if (candidates.empty()) {
    return nullptr;
  }
  return pick(candidates, ctx);
}

/// 3. Kong's choice among matching entries: the first category holding one,
/// then inside it the reduced list before the full category.
const route* radix_router::pick(std::vector<std::uint32_t>& matching, const match_context& ctx) const {
  std::uint32_t best_cat = std::numeric_limits<std::uint32_t>::max();
  for (std::uint32_t idx : matching) {
    best_cat = std::min(best_cat, category_of_[idx]);
  }
  std::erase_if(matching, [&](std::uint32_t idx) { return category_of_[idx] != best_cat; });
  if (matching.size() == 1) {
    /// A lone matching entry wins whichever list Kong scans first.
    return &routes_[entries_[matching.front()].route_index];
  }
  std::sort(matching.begin(), matching.end());

  const category& cat = categories_[best_cat];
  enum class rule { none, host, header, uri, method, sni };
  rule chosen = rule::none;
  std::size_t chosen_size = 0;
  /// A rule whose list is empty selects no entry, so when the category
  /// offers one rule only, its list size does not matter: the scan below
  /// finds no entry of an empty list either.
  const bool host_rule_on = (cat.bits & rule_host) != 0;
  const bool header_rule_on = (cat.bits & rule_header) != 0 && ctx.hit_header != nullptr;
  const bool uri_rule_on = (cat.bits & rule_uri) != 0 && ctx.hit_uri != nullptr;
  const bool method_rule_on = (cat.bits & rule_method) != 0;
  const bool sni_rule_on = (cat.bits & rule_sni) != 0;
  const bool single_rule = static_cast<int>(host_rule_on) + static_cast<int>(header_rule_on) +
                               static_cast<int>(uri_rule_on) + static_cast<int>(method_rule_on) +
                               static_cast<int>(sni_rule_on) ==
                           1;
  auto consider = [&](rule r, const count_table& table, std::string_view key) {
    if (single_rule) {
      chosen = r;
      return;
    }
    const auto it = table.find(key);
    const std::size_t size = it == table.end() ? 0 : it->second;
    if (size != 0 && (chosen == rule::none || size < chosen_size)) {
      chosen = r;
      chosen_size = size;
    }
  };
  const std::string_view host_key = ctx.hit_host != nullptr ? std::string_view(*ctx.hit_host) : ctx.raw_host;
  if ((cat.bits & rule_host) != 0) {
    consider(rule::host, cat.by_host, host_key);
  }
  if ((cat.bits & rule_header) != 0 && ctx.hit_header != nullptr) {
    consider(rule::header, cat.by_header, *ctx.hit_header);
  }
  if ((cat.bits & rule_uri) != 0 && ctx.hit_uri != nullptr) {
    consider(rule::uri, cat.by_uri, *ctx.hit_uri);
  }
  if ((cat.bits & rule_method) != 0) {
    consider(rule::method, cat.by_method, ctx.method);
  }
  if ((cat.bits & rule_sni) != 0) {
    consider(rule::sni, cat.by_sni, ctx.sni);
  }

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
        return contains(e.methods, ctx.method);
      case rule::sni:
        return std::find(e.snis.begin(), e.snis.end(), ctx.sni) != e.snis.end();
      case rule::none:
        break;
    }
    return false;
  };
  for (std::uint32_t idx : matching) {
    if (in_reduced(entries_[idx])) {
      return &routes_[entries_[idx].route_index];
    }
  }
  return &routes_[entries_[matching.front()].route_index];
}

std::size_t radix_router::bytes() const {
  using namespace estimate;
  std::size_t n = sizeof(*this);
  n += routes_and_entries_bytes(routes_, entries_);
  n += regex_cache_bytes(regexes_);
  n += flat_bytes(categories_);
  for (const auto& c : categories_) {
    n += heap_bytes(c.by_host) + heap_bytes(c.by_header) + heap_bytes(c.by_uri) + heap_bytes(c.by_method) +
         heap_bytes(c.by_sni);
  }
  n += flat_bytes(category_of_);
  n += index_.bytes();
  n += heap_bytes(header_names_) + heap_bytes(header_name_set_) + heap_bytes(plain_hosts_) + heap_bytes(methods_) +
       heap_bytes(snis_);
  n += flat_bytes(wildcard_hosts_);
  return n;
}

}  // namespace gwsim::router

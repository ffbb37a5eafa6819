#include "models/router/reference_matcher.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace gwsim::router {

namespace {

template <class R, class T>
bool contains(const R& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

} // namespace

reference_matcher::reference_matcher(std::vector<route> routes)
    : routes_(std::move(routes)), entries_(marshall_routes(routes_, regexes_)) {
  std::map<std::uint32_t, std::size_t> by_bits;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const auto bits = entries_[i].match_rules;
    auto [it, inserted] = by_bits.try_emplace(bits, categories_.size());
    if (inserted) {
      categories_.push_back({bits, entries_[i].match_weight, {}});
    }
    categories_[it->second].entries.push_back(i);
  }
  /// Categories in sort_categories order.
  std::sort(categories_.begin(), categories_.end(), [](const category& a, const category& b) {
    return category_precedes(a.match_weight, a.bits, b.match_weight, b.bits);
  });
}

/// Kong first tries a "reduced" candidate list inside each category: for
/// each rule of the category (host, header, uri, method, sni order) the
/// routes indexed under the request's hit for that rule, keeping the
/// shortest non-empty list (first one on ties); only if none of those match
/// does it try the whole category (reduce + find_route). Because the hits are
/// computed over *all* routes, this can pick a later route of the category
/// over an earlier one, so it is reproduced here.
std::vector<std::size_t> reference_matcher::reduce(const category& cat, const match_context& ctx) const {
  std::vector<std::size_t> best;
  bool have = false;
  auto consider = [&](std::vector<std::size_t> list) {
    if (!list.empty() && (!have || list.size() < best.size())) {
      best = std::move(list);
      have = true;
    }
  };
  auto collect = [&](auto occurrences) {
    std::vector<std::size_t> list;
    for (std::size_t idx : cat.entries) {
      for (std::size_t k = occurrences(entries_[idx]); k > 0; --k) {
        list.push_back(idx);
      }
    }
    return list;
  };
  if ((cat.bits & rule_host) != 0) {
    const std::string_view key = ctx.hit_host ? std::string_view(*ctx.hit_host) : ctx.raw_host;
    consider(collect([&](const marshalled_route& e) {
      return static_cast<std::size_t>(std::count_if(e.hosts.begin(), e.hosts.end(),
                                                    [&](const host_rule& h) { return h.value == key; }));
    }));
  }
  if ((cat.bits & rule_header) != 0 && ctx.hit_header) {
    consider(collect([&](const marshalled_route& e) {
      return static_cast<std::size_t>(std::count_if(
          e.headers.begin(), e.headers.end(),
          [&](const header_rule& h) { return h.name == *ctx.hit_header; }));
    }));
  }
  if ((cat.bits & rule_uri) != 0 && ctx.hit_uri) {
    consider(collect([&](const marshalled_route& e) {
      return static_cast<std::size_t>(std::count_if(
          e.uris.begin(), e.uris.end(), [&](const uri_rule& u) { return u.value == *ctx.hit_uri; }));
    }));
  }
  if ((cat.bits & rule_method) != 0) {
    consider(collect([&](const marshalled_route& e) -> std::size_t { return contains(e.methods, ctx.method) ? 1 : 0; }));
  }
  if ((cat.bits & rule_sni) != 0) {
    consider(collect([&](const marshalled_route& e) -> std::size_t {
      return std::find(e.snis.begin(), e.snis.end(), ctx.sni) != e.snis.end() ? 1 : 0;
    }));
  }
  return best;
}

const route* reference_matcher::match(const request& req) const {
  match_context ctx = make_match_context(req, [](const std::string&) { return true; });

  /// The request's category and hits (find_route). Header: the first header
  /// name, in sorted route order, that the request carries (any value).
  std::uint32_t req_category = 0;
  for (const auto& e : entries_) {
    for (const auto& h : e.headers) {
      if (!ctx.hit_header && ctx.header(h.name) != nullptr) {
        ctx.hit_header = &h.name;
      }
    }
  }
  if (ctx.hit_header) {
    req_category |= rule_header;
  }
  /// Host: any plain host equal to host-with-port or host-without-port;
  /// otherwise the first wildcard (sorted route order) that matches.
  bool plain_host_hit = false;
  for (const auto& e : entries_) {
    for (const auto& h : e.hosts) {
      if (!h.wildcard && (h.value == ctx.host.host_with_port || h.value == ctx.host.host_no_port)) {
        plain_host_hit = true;
      }
    }
  }
  if (plain_host_hit) {
    req_category |= rule_host;
  } else {
    for (const auto& e : entries_) {
      for (const auto& h : e.hosts) {
        if (!ctx.hit_host && h.wildcard && h.wildcard->matches_prefix(ctx.host.host_with_port)) {
          ctx.hit_host = h.value;
        }
      }
    }
    if (ctx.hit_host) {
      req_category |= rule_host;
    }
  }
  /// URI: the first regex (sorted route order) that matches; else a prefix
  /// equal to the path; else the longest prefix of the path.
  for (const auto& e : entries_) {
    for (const auto& u : e.uris) {
      if (!ctx.hit_uri && u.re && u.re->matches_prefix(ctx.path)) {
        ctx.hit_uri = u.value;
      }
    }
  }
  if (!ctx.hit_uri) {
    const uri_rule* best = nullptr;
    for (const auto& e : entries_) {
      for (const auto& u : e.uris) {
        if (!u.re && ctx.path.starts_with(u.value) &&
            (best == nullptr || u.value.size() > best->value.size() || u.value == ctx.path)) {
          best = &u;
        }
      }
    }
    if (best != nullptr) {
      ctx.hit_uri = best->value;
    }
  }
  if (ctx.hit_uri) {
    req_category |= rule_uri;
  }
  for (const auto& e : entries_) {
    if (contains(e.methods, ctx.method)) {
      req_category |= rule_method;
    }
    if (std::find(e.snis.begin(), e.snis.end(), ctx.sni) != e.snis.end()) {
      req_category |= rule_sni;
    }
  }
  /// A request that hits no rule of any route matches nothing, even a
  /// category-0 route.
  if (req_category == 0) {
    return nullptr;
  }

  /// Categories in order. Kong starts at the request's own category when one
  /// exists; every earlier category has at least as many rules and so cannot
  /// be a subset of the request's unless it is that category, so scanning
  /// from the top gives the same answer.
  for (const auto& cat : categories_) {
    for (std::size_t idx : reduce(cat, ctx)) {
      if (matches(entries_[idx], ctx)) {
        return &routes_[entries_[idx].route_index];
      }
    }
    for (std::size_t idx : cat.entries) {
      if (matches(entries_[idx], ctx)) {
        return &routes_[entries_[idx].route_index];
      }
    }
  }
  return nullptr;
}

} // namespace gwsim::router

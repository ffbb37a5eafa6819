#include "models/router/radix_router.hpp"

#include "models/router/byte_estimates.hpp"

#include <algorithm>
#include <limits>
#include <map>
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
  rank_.resize(entries_.size());
  nodes_.emplace_back();
  std::unordered_set<std::string> seen_wildcards;
  std::unordered_set<std::string> seen_regexes;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const auto idx = static_cast<std::uint32_t>(i);
    const marshalled_route& e = entries_[i];
    const std::size_t c = by_bits.at(e.match_rules);
    category_of_[i] = static_cast<std::uint32_t>(c);
    rank_[i] = (static_cast<std::uint64_t>(c) << 32U) | idx;

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

    /// Candidate structures. An entry carries at most one path (Kong splits
    /// multi-path routes), but every path is handled for safety.
    bool has_prefix = false;
    bool has_regex = false;
    for (const auto& u : e.uris) {
      if (u.re != nullptr) {
        has_regex = true;
        if (seen_regexes.insert(u.value).second) {
          regex_uris_.push_back(&u);
        }
      } else {
        has_prefix = true;
        insert_prefix(u.value, idx);
      }
    }
    if (has_regex) {
      regex_entries_.push_back(idx);
    } else if (!has_prefix) {
      no_uri_entries_.push_back(idx);
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
  auto by_rank = [this](std::uint32_t a, std::uint32_t b) { return rank_[a] < rank_[b]; };
  std::sort(regex_entries_.begin(), regex_entries_.end(), by_rank);
  std::sort(no_uri_entries_.begin(), no_uri_entries_.end(), by_rank);
}

void radix_router::insert_prefix(const std::string& prefix, std::uint32_t entry) {
  std::uint32_t cur = 0;
  std::size_t pos = 0;
  while (pos < prefix.size()) {
    const std::string_view rest = std::string_view(prefix).substr(pos);
    std::uint32_t child = std::numeric_limits<std::uint32_t>::max();
    std::size_t slot = 0;
    for (std::size_t k = 0; k < nodes_[cur].children.size(); ++k) {
      if (nodes_[nodes_[cur].children[k]].label[0] == rest[0]) {
        child = nodes_[cur].children[k];
        slot = k;
        break;
      }
    }
    if (child == std::numeric_limits<std::uint32_t>::max()) {
      const auto fresh = static_cast<std::uint32_t>(nodes_.size());
      nodes_.push_back({std::string(rest), {}, {entry}});
      nodes_[cur].children.push_back(fresh);
      return;
    }
    const std::string& label = nodes_[child].label;
    std::size_t common = 0;
    while (common < label.size() && common < rest.size() && label[common] == rest[common]) {
      ++common;
    }
    if (common < label.size()) {
      /// Split the edge: a new node takes the shared bytes.
      const auto mid = static_cast<std::uint32_t>(nodes_.size());
      node split{label.substr(0, common), {child}, {}};
      nodes_[child].label.erase(0, common);
      nodes_.push_back(std::move(split));
      nodes_[cur].children[slot] = mid;
      child = mid;
    }
    cur = child;
    pos += common;
  }
  nodes_[cur].entries.push_back(entry);
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
  for (const uri_rule* u : regex_uris_) {
    if (u->re->matches_prefix(ctx.path)) {
      ctx.hit_uri = &u->value;
      break;
    }
  }

  /// Walk the trie: every node passed holds entries whose prefix is a
  /// prefix of the path; the deepest such node gives the longest prefix.
  std::vector<std::uint32_t> candidates;
  const std::string* longest_prefix = nullptr;
  {
    std::uint32_t cur = 0;
    std::size_t pos = 0;
    while (true) {
      const node& n = nodes_[cur];
      if (!n.entries.empty()) {
        candidates.insert(candidates.end(), n.entries.begin(), n.entries.end());
        for (const auto& u : entries_[n.entries.front()].uris) {
          if (u.re == nullptr && ctx.path.substr(0, pos) == u.value) {
            longest_prefix = &u.value;
          }
        }
      }
      if (pos >= ctx.path.size()) {
        break;
      }
      const char next = ctx.path[pos];
      std::uint32_t child = std::numeric_limits<std::uint32_t>::max();
      for (std::uint32_t c : n.children) {
        if (nodes_[c].label[0] == next) {
          child = c;
          break;
        }
      }
      if (child == std::numeric_limits<std::uint32_t>::max() ||
          !ctx.path.substr(pos).starts_with(nodes_[child].label)) {
        break;
      }
      pos += nodes_[child].label.size();
      cur = child;
    }
  }
  if (ctx.hit_uri == nullptr) {
    ctx.hit_uri = longest_prefix;
  }
  if (ctx.hit_uri != nullptr) {
    req_category |= rule_uri;
  }
  if (methods_.contains(ctx.method)) {
    req_category |= rule_method;
  }
  if (snis_.contains(std::string(ctx.sni))) {
    req_category |= rule_sni;
  }
  if (req_category == 0) {
    return nullptr;
  }

  /// 2. Candidates that pass the shared predicate.
  candidates.insert(candidates.end(), regex_entries_.begin(), regex_entries_.end());
  candidates.insert(candidates.end(), no_uri_entries_.begin(), no_uri_entries_.end());
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
  std::sort(matching.begin(), matching.end(), [this](std::uint32_t a, std::uint32_t b) { return rank_[a] < rank_[b]; });

  const category& cat = categories_[best_cat];
  enum class rule { none, host, header, uri, method, sni };
  rule chosen = rule::none;
  std::size_t chosen_size = 0;
  auto consider = [&](rule r, const count_table& table, const std::string& key) {
    const auto it = table.find(key);
    const std::size_t size = it == table.end() ? 0 : it->second;
    if (size != 0 && (chosen == rule::none || size < chosen_size)) {
      chosen = r;
      chosen_size = size;
    }
  };
  const std::string host_key(ctx.hit_host != nullptr ? std::string_view(*ctx.hit_host) : ctx.raw_host);
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
    consider(rule::sni, cat.by_sni, std::string(ctx.sni));
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
  n += flat_bytes(category_of_) + flat_bytes(rank_);
  n += flat_bytes(nodes_);
  for (const auto& nd : nodes_) {
    n += heap_bytes(nd.label) + flat_bytes(nd.children) + flat_bytes(nd.entries);
  }
  n += flat_bytes(regex_entries_) + flat_bytes(no_uri_entries_);
  n += heap_bytes(header_names_) + heap_bytes(header_name_set_) + heap_bytes(plain_hosts_) + heap_bytes(methods_) +
       heap_bytes(snis_);
  n += flat_bytes(wildcard_hosts_) + flat_bytes(regex_uris_);
  return n;
}

}  // namespace gwsim::router

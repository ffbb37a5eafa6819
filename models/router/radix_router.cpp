#include "models/router/radix_router.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <span>
#include <string_view>
#include <utility>

#include "models/router/byte_estimates.hpp"
#include "models/router/regex.hpp"

namespace gwsim::router {

namespace {

/// Rule tags of the count table (never 0, so a zero key marks a free slot).
enum rule_tag : std::uint64_t { tag_host = 1, tag_header = 2, tag_uri = 3, tag_method = 4, tag_sni = 5 };

constexpr std::uint64_t count_key(rule_tag tag, std::uint32_t category, std::uint32_t id) noexcept {
  return (static_cast<std::uint64_t>(tag) << 48U) | (static_cast<std::uint64_t>(category) << 32U) | id;
}

constexpr std::uint64_t mix(std::uint64_t k) noexcept {
  k ^= k >> 29U;
  k *= 0xbf58476d1ce4e5b9ULL;
  k ^= k >> 32U;
  return k;
}

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

bool only_digits(std::string_view s) noexcept { return std::all_of(s.begin(), s.end(), is_digit); }

/// split_port() without allocating: host_no_port is a view into `name`, and
/// host_with_port either `name` itself or a string built in `buffer`.
struct host_views {
  std::string_view no_port;
  std::string_view with_port;
};

host_views split_port_views(std::string_view name, std::string_view port, std::string& buffer) {
  auto build = [&](std::string_view a, std::string_view b, std::string_view c, std::string_view d) {
    buffer.clear();
    buffer.append(a).append(b).append(c).append(d);
    return std::string_view(buffer);
  };
  if (!name.empty() && name.front() == '[') {
    if (name.size() > 1 && name.back() == ']') {
      return {name.substr(1, name.size() - 2), build(name, ":", port, {})};
    }
    const auto split = name.find("]:", 1);
    if (split != std::string_view::npos) {
      if (split + 2 == name.size()) {
        return {name.substr(1, split - 1), build(name, port, {}, {})};
      }
      if (only_digits(name.substr(split + 2))) {
        return {name.substr(1, split - 1), name};
      }
    }
    return {name, build(name, ":", port, {})};
  }
  const auto colon = name.find(':');
  if (colon == std::string_view::npos) {
    return {name, build(name, ":", port, {})};
  }
  if (colon + 1 == name.size()) {
    const auto host = name.substr(0, colon);
    return {host, build(host, ":", port, {})};
  }
  if (!only_digits(name.substr(colon + 1))) {
    return {name, build("[", name, "]:", port)};
  }
  return {name.substr(0, colon), name};
}

/// ASCII upper/lower case into `buffer` when a change is needed.
std::string_view upper_view(std::string_view s, std::string& buffer) {
  if (std::none_of(s.begin(), s.end(), [](char c) { return c >= 'a' && c <= 'z'; })) {
    return s;
  }
  buffer.assign(s);
  for (char& c : buffer) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return buffer;
}

void lower_into(std::string_view s, std::string& out) {
  out.assign(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
}

std::uint32_t lookup(const std::unordered_map<std::string_view, std::uint32_t>& m, std::string_view key) {
  if (m.empty()) {
    return UINT32_MAX;
  }
  const auto it = m.find(key);
  return it == m.end() ? UINT32_MAX : it->second;
}

std::uint32_t intern(std::unordered_map<std::string_view, std::uint32_t>& m, std::string_view key) {
  return m.try_emplace(key, static_cast<std::uint32_t>(m.size())).first->second;
}

/// Scratch state of the thread: reused by every match, so matching
/// allocates nothing once the buffers have grown.
struct cursor {
  const std::uint32_t* at;
  const std::uint32_t* end;
};

struct thread_scratch {
  std::uint64_t generation = 0;
  std::vector<std::uint64_t> memo;  ///< per wildcard, then per regex: (generation << 1) | result
  std::vector<std::uint64_t> seen;  ///< per regex: generation when selected by its literal prefix
  std::vector<cursor> heap;
  std::vector<std::uint32_t> regexes;  ///< selected regex indexes
  std::vector<std::pair<std::uint32_t, std::string>> headers;
  std::size_t n_headers = 0;
  std::string host_buffer;
  std::string method_buffer;
  std::string name_buffer;
};

thread_scratch& scratch() {
  thread_local thread_scratch s;
  return s;
}

}  // namespace

/// What one match knows about its request, computed as far as needed.
struct radix_router::request_state {
  request_state(thread_scratch& scratch_in, const request& req_in) : s(scratch_in), req(req_in) {}

  thread_scratch& s;
  const request& req;
  std::string_view path;
  std::string_view raw_host;
  host_views host;
  std::uint32_t raw_id = none;
  std::uint32_t bare_id = none;
  std::uint32_t method_id = none;
  std::uint32_t sni_id = none;
  bool plain_hit = false;
  std::uint32_t longest_prefix = none;
  std::uint32_t first_regex_bound = none;  ///< a regex known to match (the least found), or none
  /// Lazily computed hits: `unknown` until asked.
  static constexpr std::uint32_t unknown = UINT32_MAX - 1;
  std::uint32_t hit_host = unknown;    ///< wildcard host id, or none
  std::uint32_t hit_header = unknown;  ///< header name id, or none
  std::uint32_t hit_uri = unknown;     ///< key, or none
  bool headers_parsed = false;
};

// ---- build ------------------------------------------------------------------

void radix_router::count_table::build(const std::vector<std::uint64_t>& occurrences) {
  std::size_t cap = 16;
  while (cap < occurrences.size() + occurrences.size() / 2) {
    cap *= 2;
  }
  keys.assign(cap, 0);
  counts.assign(cap, 0);
  const std::size_t mask = cap - 1;
  std::size_t used = 0;
  for (std::uint64_t k : occurrences) {
    std::size_t i = mix(k) & mask;
    while (keys[i] != 0 && keys[i] != k) {
      i = (i + 1) & mask;
    }
    used += keys[i] == 0 ? 1U : 0U;
    keys[i] = k;
    ++counts[i];
  }
  /// Rebuild at a size fitted to the distinct keys (most occurrences repeat).
  std::size_t fitted = 16;
  while (fitted < used + used / 3) {
    fitted *= 2;
  }
  if (fitted < cap) {
    std::vector<std::uint64_t> old_keys = std::move(keys);
    std::vector<std::uint32_t> old_counts = std::move(counts);
    keys.assign(fitted, 0);
    counts.assign(fitted, 0);
    for (std::size_t j = 0; j < old_keys.size(); ++j) {
      if (old_keys[j] == 0) {
        continue;
      }
      std::size_t i = mix(old_keys[j]) & (fitted - 1);
      while (keys[i] != 0) {
        i = (i + 1) & (fitted - 1);
      }
      keys[i] = old_keys[j];
      counts[i] = old_counts[j];
    }
  }
}

std::uint32_t radix_router::count_table::find(std::uint64_t key) const noexcept {
  if (keys.empty()) {
    return 0;
  }
  const std::size_t mask = keys.size() - 1;
  for (std::size_t i = mix(key) & mask;; i = (i + 1) & mask) {
    if (keys[i] == key) {
      return counts[i];
    }
    if (keys[i] == 0) {
      return 0;
    }
  }
}

radix_router::radix_router(std::vector<route> routes) : routes_(std::move(routes)) {
  std::vector<marshalled_route> sorted = marshall_routes(routes_, regexes_);

  /// Categories in Kong's order.
  std::map<std::uint32_t, int> weights;
  for (const auto& e : sorted) {
    weights.emplace(e.match_rules, e.match_weight);
  }
  std::vector<std::pair<std::uint32_t, int>> cats(weights.begin(), weights.end());
  std::stable_sort(cats.begin(), cats.end(), [](const auto& a, const auto& b) {
    return category_precedes(a.second, a.first, b.second, b.first);
  });
  std::array<std::uint8_t, 256> category_of{};
  for (std::size_t c = 0; c < cats.size(); ++c) {
    category_bits_.push_back(cats[c].first);
    category_of[cats[c].first & 0xFFU] = static_cast<std::uint8_t>(c);
  }

  /// Interning, in Kong's sort order so first occurrences come first.
  /// Per sorted entry: its prefix index, or regex index | regex_flag (keys
  /// are numbered once both counts are known).
  constexpr std::uint32_t regex_flag = 0x80000000U;
  std::vector<std::uint32_t> key_of(sorted.size(), none);
  std::unordered_map<std::string_view, std::uint32_t> regex_index;      ///< views of the routes' paths
  std::unordered_map<std::string_view, std::uint32_t> prefix_index_of;
  std::vector<std::string_view> prefix_values;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    const marshalled_route& e = sorted[i];
    const route& r = routes_[e.route_index];
    for (std::size_t k = 0; k < e.hosts.size(); ++k) {
      /// The marshalled host is a copy of r.hosts[k]; the view must point
      /// into the owned routes.
      const std::string_view value = r.hosts[k];
      const auto [it, fresh] = host_ids_.try_emplace(value, static_cast<std::uint32_t>(host_ids_.size()));
      if (fresh) {
        host_wildcard_.push_back(none);
        if (e.hosts[k].wildcard != nullptr) {
          host_wildcard_.back() = static_cast<std::uint32_t>(wildcards_.size());
          wildcards_.push_back({value, e.hosts[k].wildcard, it->second,
                                wildcard_host_is_literal(value)});
        }
      }
    }
    for (const auto& u : e.uris) {
      if (u.re != nullptr) {
        const auto [it, fresh] = regex_index.try_emplace(u.value, static_cast<std::uint32_t>(regex_code_.size()));
        if (fresh) {
          regex_code_.push_back(u.re);
        }
        key_of[i] = regex_flag | it->second;
      } else {
        const auto [it, fresh] = prefix_index_of.try_emplace(u.value, static_cast<std::uint32_t>(prefix_values.size()));
        if (fresh) {
          prefix_values.push_back(r.paths[e.path_index]);
        }
        key_of[i] = it->second;
      }
    }
    for (const auto& m : e.methods) {
      if (std::find(method_names_.begin(), method_names_.end(), m) == method_names_.end()) {
        method_names_.emplace_back(m);
      }
    }
    for (const auto& s : e.snis) {
      intern(sni_ids_, *std::find(r.snis.begin(), r.snis.end(), s));
    }
  }
  /// Header names in first-occurrence order; their ids are views into the
  /// final vector, so it is filled before any id is taken.
  {
    std::vector<std::string> names;
    string_set seen;
    for (const auto& e : sorted) {
      for (const auto& h : e.headers) {
        if (seen.insert(h.name).second) {
          names.push_back(h.name);
        }
      }
    }
    header_names_ = std::move(names);
    header_names_.shrink_to_fit();
    for (const auto& n : header_names_) {
      intern(header_ids_, n);
    }
  }
  method_names_.shrink_to_fit();
  for (const auto& m : method_names_) {
    intern(method_ids_, m);
  }
  regex_base_ = static_cast<std::uint32_t>(prefix_values.size());
  no_path_key_ = regex_base_ + static_cast<std::uint32_t>(regex_code_.size());

  /// Literal groups: the regexes sharing one literal prefix, tried as one
  /// alternation in first-occurrence order. Every regex has at least one
  /// literal prefix (possibly empty), so it is in at least one group.
  std::vector<std::pair<std::string, std::uint32_t>> literals;  ///< (literal, group)
  std::vector<std::vector<std::uint32_t>> groups_of(regex_code_.size());
  {
    std::map<std::string, std::vector<std::uint32_t>> groups;
    for (std::uint32_t x = 0; x < regex_code_.size(); ++x) {
      for (auto& l : regex_literal_prefixes(regex_code_[x]->pattern())) {
        auto& members = groups[std::move(l)];
        if (members.empty() || members.back() != x) {
          members.push_back(x);
        }
      }
    }
    literal_off_.push_back(0);
    for (auto& [literal, members] : groups) {
      const auto g = static_cast<std::uint32_t>(literal_code_.size());
      for (std::uint32_t x : members) {
        groups_of[x].push_back(g);
      }
      literals.emplace_back(literal, g);
      literal_regexes_.insert(literal_regexes_.end(), members.begin(), members.end());
      literal_off_.push_back(static_cast<std::uint32_t>(literal_regexes_.size()));
      std::shared_ptr<const regex> combined;
      if (members.size() > 1) {
        std::vector<std::string_view> patterns;
        patterns.reserve(members.size());
        for (std::uint32_t x : members) {
          patterns.emplace_back(regex_code_[x]->pattern());
        }
        combined = compiled_alternation(patterns);
      }
      literal_code_.push_back(std::move(combined));
    }
  }
  /// Lists: one per prefix key, one for the entries without a path, one
  /// per literal group (the entries of all its regexes).
  const std::uint32_t n_lists = regex_base_ + 1 + static_cast<std::uint32_t>(literal_code_.size());
  auto lists_of = [&](std::uint32_t key, auto&& emit) {
    if (key < regex_base_) {
      emit(key);
    } else if (key == no_path_key_) {
      emit(no_path_list());
    } else {
      for (std::uint32_t g : groups_of[key - regex_base_]) {
        emit(group_list(g));
      }
    }
  };

  /// Rank order: category position, then sort order (stable).
  std::vector<std::uint32_t> order(sorted.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return category_of[sorted[a].match_rules & 0xFFU] < category_of[sorted[b].match_rules & 0xFFU];
  });

  entries_.reserve(sorted.size());
  std::vector<std::uint64_t> occurrences;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> general_pairs;  ///< (list, rank)
  std::vector<std::array<std::uint32_t, 3>> host_triples;             ///< (list, host, rank)
  for (std::uint32_t rank = 0; rank < order.size(); ++rank) {
    marshalled_route& m = sorted[order[rank]];
    const route& r = routes_[m.route_index];
    entry e;
    e.route = m.route_index;
    e.category = category_of[m.match_rules & 0xFFU];
    e.rules = static_cast<std::uint8_t>(m.match_rules);
    e.attrs = static_cast<std::uint32_t>(attrs_.size());
    const std::uint32_t coded = key_of[order[rank]];
    if (coded == none) {
      e.key = no_path_key_;
    } else if ((coded & regex_flag) != 0) {
      e.key = regex_base_ + (coded & ~regex_flag);
    } else {
      e.key = coded;
    }
    for (std::size_t k = 0; k < m.hosts.size(); ++k) {
      const std::uint32_t id = host_ids_.at(std::string_view(r.hosts[k]));
      const std::uint32_t w = host_wildcard_[id];
      attrs_.push_back(w == none ? id : (w | wildcard_bit));
      occurrences.push_back(count_key(tag_host, e.category, id));
    }
    for (const auto& method : m.methods) {
      const std::uint32_t id = method_ids_.at(method);
      attrs_.push_back(id);
      occurrences.push_back(count_key(tag_method, e.category, id));
    }
    for (const auto& sni : m.snis) {
      const std::uint32_t id = sni_ids_.at(sni);
      attrs_.push_back(id);
      occurrences.push_back(count_key(tag_sni, e.category, id));
    }
    for (auto& h : m.headers) {
      const std::uint32_t id = header_ids_.at(h.name);
      attrs_.push_back(static_cast<std::uint32_t>(header_conds_.size()));
      header_conds_.push_back({id, std::move(h.values)});
      occurrences.push_back(count_key(tag_header, e.category, id));
    }
    if (!m.uris.empty()) {
      occurrences.push_back(count_key(tag_uri, e.category, e.key));
    }
    e.n_hosts = static_cast<std::uint16_t>(m.hosts.size());
    e.n_methods = static_cast<std::uint16_t>(m.methods.size());
    e.n_snis = static_cast<std::uint16_t>(m.snis.size());
    e.n_headers = static_cast<std::uint16_t>(m.headers.size());
    /// An entry with hosts is listed under each of them (a wildcard as
    /// its index | wildcard_bit, so a key's wildcard lists follow its plain
    /// ones): it can only match a request through one of them.
    lists_of(e.key, [&](std::uint32_t list) {
      if (e.n_hosts != 0) {
        for (std::uint16_t k = 0; k < e.n_hosts; ++k) {
          host_triples.push_back({list, attrs_[e.attrs + k], rank});
        }
      } else {
        general_pairs.emplace_back(list, rank);
      }
    });
    entries_.push_back(e);
  }
  counts_.build(occurrences);

  /// General lists: a counting sort by list keeps rank order inside a list.
  key_lists_.assign(n_lists + 1, key_lists{});
  for (const auto& p : general_pairs) {
    ++key_lists_[p.first + 1].general;
  }
  for (std::uint32_t k = 0; k < n_lists; ++k) {
    key_lists_[k + 1].general += key_lists_[k].general;
  }
  general_.resize(general_pairs.size());
  {
    std::vector<std::uint32_t> fill(n_lists);
    for (std::uint32_t k = 0; k < n_lists; ++k) {
      fill[k] = key_lists_[k].general;
    }
    for (const auto& [k, rank] : general_pairs) {
      general_[fill[k]++] = rank;
    }
  }
  /// Host lists: sorted by (key, host, rank); duplicates (a host listed
  /// twice by one route) dropped.
  std::sort(host_triples.begin(), host_triples.end());
  host_triples.erase(std::unique(host_triples.begin(), host_triples.end()), host_triples.end());
  by_host_.reserve(host_triples.size());
  for (std::size_t i = 0; i < host_triples.size(); ++i) {
    const auto& [k, host, rank] = host_triples[i];
    if (i == 0 || host_triples[i - 1][0] != k || host_triples[i - 1][1] != host) {
      groups_.push_back({host, static_cast<std::uint32_t>(by_host_.size())});
      ++key_lists_[k + 1].groups;
    }
    by_host_.push_back(rank);
  }
  groups_.push_back({none, static_cast<std::uint32_t>(by_host_.size())});
  for (std::uint32_t k = 0; k < n_lists; ++k) {
    key_lists_[k + 1].groups += key_lists_[k].groups;
  }
  groups_.shrink_to_fit();

  /// The trie: prefix paths to their keys, literals to their groups.
  {
    std::vector<std::pair<std::string_view, std::uint32_t>> keys;
    keys.reserve(prefix_values.size() + literals.size());
    for (std::uint32_t k = 0; k < prefix_values.size(); ++k) {
      keys.emplace_back(prefix_values[k], k);
    }
    for (const auto& [literal, g] : literals) {
      keys.emplace_back(literal, literal_bit | g);
    }
    paths_ = prefix_index(keys);
    literal_regexes_.shrink_to_fit();
    literal_off_.shrink_to_fit();
    literal_code_.shrink_to_fit();
  }
  entries_.shrink_to_fit();
  attrs_.shrink_to_fit();
  header_conds_.shrink_to_fit();
  regex_code_.shrink_to_fit();
  wildcards_.shrink_to_fit();
  host_wildcard_.shrink_to_fit();
}

// ---- match ------------------------------------------------------------------

bool radix_router::wildcard_matches(std::uint32_t w, request_state& st) const {
  std::uint64_t& slot = st.s.memo[w];
  if ((slot >> 1U) == st.s.generation) {
    return (slot & 1U) != 0;
  }
  const wildcard& wc = wildcards_[w];
  const bool ok = (!wc.literal_pieces || wildcard_host_may_match(wc.value, st.host.with_port)) &&
                  wc.re->matches_prefix(st.host.with_port);
  slot = (st.s.generation << 1U) | (ok ? 1U : 0U);
  return ok;
}

bool radix_router::regex_matches(std::uint32_t r, request_state& st) const {
  std::uint64_t& slot = st.s.memo[wildcards_.size() + r];
  if ((slot >> 1U) == st.s.generation) {
    return (slot & 1U) != 0;
  }
  const bool ok = regex_code_[r]->matches_prefix(st.path);
  slot = (st.s.generation << 1U) | (ok ? 1U : 0U);
  return ok;
}

/// Kong's first wildcard host (in first-occurrence order) matching the
/// host with port, when no plain host matched.
std::uint32_t radix_router::hit_host(request_state& st) const {
  if (st.hit_host == request_state::unknown) {
    st.hit_host = none;
    if (!st.plain_hit) {
      for (std::uint32_t w = 0; w < wildcards_.size(); ++w) {
        if (wildcard_matches(w, st)) {
          st.hit_host = wildcards_[w].host_id;
          break;
        }
      }
    }
  }
  return st.hit_host;
}

void radix_router::parse_headers(request_state& st) const {
  if (st.headers_parsed) {
    return;
  }
  st.headers_parsed = true;
  st.s.n_headers = 0;
  if (header_ids_.empty()) {
    return;
  }
  const std::size_t n = std::min(st.req.headers.size(), max_request_headers);
  for (std::size_t i = 0; i < n; ++i) {
    lower_into(st.req.headers[i].first, st.s.name_buffer);
    if (st.s.name_buffer == "host") {
      continue;
    }
    const std::uint32_t id = lookup(header_ids_, st.s.name_buffer);
    if (id == none) {
      continue;
    }
    if (st.s.headers.size() <= st.s.n_headers) {
      st.s.headers.resize(st.s.n_headers + 1);
    }
    auto& slot = st.s.headers[st.s.n_headers++];
    slot.first = id;
    lower_into(st.req.headers[i].second, slot.second);
  }
}

/// The first header name (in first-occurrence order) the request carries.
std::uint32_t radix_router::hit_header(request_state& st) const {
  if (st.hit_header == request_state::unknown) {
    parse_headers(st);
    st.hit_header = none;
    for (std::size_t i = 0; i < st.s.n_headers; ++i) {
      st.hit_header = std::min(st.hit_header, st.s.headers[i].first);
    }
  }
  return st.hit_header;
}

/// The first matching regex (in first-occurrence order), else the longest
/// prefix path.
std::uint32_t radix_router::hit_uri(request_state& st) const {
  if (st.hit_uri == request_state::unknown) {
    st.hit_uri = st.longest_prefix == none ? none : st.longest_prefix;
    for (std::uint32_t r : st.s.regexes) {
      if (r > st.first_regex_bound) {
        break;
      }
      if (regex_matches(r, st)) {
        st.hit_uri = regex_base_ + r;
        break;
      }
    }
  }
  return st.hit_uri;
}

/// Whether find_route's classification hits anything at all (a request
/// that hits nothing matches nothing, not even a route of category 0).
bool radix_router::any_hit(request_state& st) const {
  if (st.plain_hit || st.longest_prefix != none || st.method_id != none || st.sni_id != none) {
    return true;
  }
  return hit_header(st) != none || hit_host(st) != none || hit_uri(st) != none;
}

/// matches() on the flattened entry: cheap integer tests first, patterns last.
bool radix_router::entry_matches(const entry& e, request_state& st) const {
  const std::uint32_t* a = attrs_.data() + e.attrs;
  const std::uint32_t* methods = a + e.n_hosts;
  const std::uint32_t* snis = methods + e.n_methods;
  const std::uint32_t* headers = snis + e.n_snis;
  if ((e.rules & rule_method) != 0 && std::find(methods, methods + e.n_methods, st.method_id) == methods + e.n_methods) {
    return false;
  }
  if ((e.rules & rule_sni) != 0 && std::find(snis, snis + e.n_snis, st.sni_id) == snis + e.n_snis) {
    return false;
  }
  if ((e.rules & rule_host) != 0) {
    bool ok = false;
    bool wildcards = false;
    for (std::uint16_t k = 0; k < e.n_hosts && !ok; ++k) {
      const std::uint32_t id = a[k];
      if ((id & wildcard_bit) != 0) {
        wildcards = true;
      } else if (id == st.bare_id) {
        ok = true;
      } else if (id == st.raw_id) {
        /// Kong compares with the wildcard it hit, if any, instead.
        ok = st.plain_hit || hit_host(st) == none;
      }
    }
    for (std::uint16_t k = 0; k < e.n_hosts && !ok && wildcards; ++k) {
      ok = (a[k] & wildcard_bit) != 0 && wildcard_matches(a[k] & ~wildcard_bit, st);
    }
    if (!ok) {
      return false;
    }
  }
  if (e.n_headers != 0) {
    parse_headers(st);
    for (std::uint16_t k = 0; k < e.n_headers; ++k) {
      const header_cond& h = header_conds_[headers[k]];
      bool present = false;
      bool ok = false;
      for (std::size_t i = 0; i < st.s.n_headers && !ok; ++i) {
        if (st.s.headers[i].first != h.name) {
          continue;
        }
        present = true;
        ok = std::find(h.values.begin(), h.values.end(), st.s.headers[i].second) != h.values.end();
      }
      if (!present || !ok) {
        return false;
      }
    }
  }
  /// A prefix key was reached by walking the path, so only regexes remain.
  if (e.key >= regex_base_ && e.key < no_path_key_ && !regex_matches(e.key - regex_base_, st)) {
    return false;
  }
  return true;
}

/// Literal group `g` (whose literal starts the path): the regexes that may
/// match onto the scratch list, and the group's lists among the candidates.
/// The group's alternation settles its members up to the first match at
/// once: the earlier ones fail (remembered, and left out of the list), that
/// one matches; only the later ones stay to be tried one by one, when an
/// entry of theirs comes up. The first match found this way bounds Kong's
/// uri hit. When no member matches, the group adds nothing.
void radix_router::select_regexes(std::uint32_t g, request_state& st) const {
  thread_scratch& s = st.s;
  const std::uint32_t* begin = literal_regexes_.data() + literal_off_[g];
  const std::uint32_t* end = literal_regexes_.data() + literal_off_[g + 1];
  if (literal_code_[g] != nullptr) {
    const int first = literal_code_[g]->first_alternative(st.path);
    if (first == -1) {
      return;
    }
    if (first >= 0) {
      for (const std::uint32_t* r = begin; r != begin + first; ++r) {
        s.memo[wildcards_.size() + *r] = s.generation << 1U;
      }
      begin += first;
      s.memo[wildcards_.size() + *begin] = (s.generation << 1U) | 1U;
      st.first_regex_bound = std::min(st.first_regex_bound, *begin);
    }
  }
  for (const std::uint32_t* r = begin; r != end; ++r) {
    if (s.seen[*r] != s.generation) {
      s.seen[*r] = s.generation;
      s.regexes.push_back(*r);
    }
  }
  add_list(group_list(g), st);
}

void radix_router::add_list(std::uint32_t list, request_state& st) const {
  auto& heap = st.s.heap;
  auto push = [&heap](const std::uint32_t* b, const std::uint32_t* e) {
    if (b != e) {
      /// The merge reads every head first: fetched while the walk goes on.
      __builtin_prefetch(b);
      heap.push_back({b, e});
    }
  };
  const key_lists& at = key_lists_[list];
  const key_lists& next = (&at)[1];
  push(general_.data() + at.general, general_.data() + next.general);
  const host_group* lo = groups_.data() + at.groups;
  const host_group* hi = groups_.data() + next.groups;
  if (lo == hi) {
    return;
  }
  auto add_host = [&](std::uint32_t host) {
    const host_group* it =
        std::lower_bound(lo, hi, host, [](const host_group& g, std::uint32_t h) { return g.host < h; });
    if (it != hi && it->host == host) {
      push(by_host_.data() + it->off, by_host_.data() + (it + 1)->off);
    }
  };
  if (st.raw_id != none) {
    add_host(st.raw_id);
  }
  if (st.bare_id != st.raw_id && st.bare_id != none) {
    add_host(st.bare_id);
  }
  /// The wildcard lists, last in the key: each wildcard is tested once
  /// per request (memoized), and only where some route of the key names it.
  if ((hi[-1].host & wildcard_bit) == 0) {
    return;
  }
  const host_group* w =
      std::lower_bound(lo, hi, wildcard_bit, [](const host_group& g, std::uint32_t h) { return g.host < h; });
  for (; w != hi; ++w) {
    if (wildcard_matches(w->host & ~wildcard_bit, st)) {
      push(by_host_.data() + w->off, by_host_.data() + (w + 1)->off);
    }
  }
}

const route* radix_router::match(const request& req) const {
  thread_scratch& s = scratch();
  ++s.generation;
  const std::size_t memo_size = wildcards_.size() + regex_code_.size();
  if (s.memo.size() < memo_size) {
    s.memo.resize(memo_size, 0);
  }
  if (s.seen.size() < regex_code_.size()) {
    s.seen.resize(regex_code_.size(), 0);
  }
  request_state st(s, req);
  st.path = req.path;
  st.raw_host = req.host;
  /// Without host rules the host cannot change the answer.
  if (!host_ids_.empty()) {
    st.host = split_port_views(req.host, req.scheme == "https" ? "443" : "80", s.host_buffer);
    st.raw_id = lookup(host_ids_, st.raw_host);
    st.bare_id = st.host.no_port == st.raw_host ? st.raw_id : lookup(host_ids_, st.host.no_port);
    const std::uint32_t with_port_id =
        st.host.with_port == st.raw_host ? st.raw_id : lookup(host_ids_, st.host.with_port);
    st.plain_hit = (with_port_id != none && host_wildcard_[with_port_id] == none) ||
                   (st.bare_id != none && host_wildcard_[st.bare_id] == none);
  }
  st.method_id = lookup(method_ids_, upper_view(req.method, s.method_buffer));
  st.sni_id = lookup(sni_ids_, req.sni);

  /// Candidate lists: prefix keys and literal groups on the path, no-path
  /// entries.
  s.heap.clear();
  s.regexes.clear();
  paths_.for_each_prefix_of(st.path, [&](std::span<const std::uint32_t> values, std::size_t) {
    for (std::uint32_t v : values) {
      if ((v & literal_bit) != 0) {
        select_regexes(v & ~literal_bit, st);
      } else {
        st.longest_prefix = v;
        add_list(v, st);
      }
    }
  });
  std::sort(s.regexes.begin(), s.regexes.end());
  add_list(no_path_list(), st);

  /// Lazy merge in rank order (a min-heap on the lists' heads).
  auto& heap = s.heap;
  auto later = [](const cursor& a, const cursor& b) { return *a.at > *b.at; };
  std::make_heap(heap.begin(), heap.end(), later);
  auto next = [&]() -> std::uint32_t {
    if (heap.size() <= 1) {
      /// One list left: no ordering work.
      if (heap.empty()) {
        return none;
      }
      cursor& c = heap.front();
      const std::uint32_t v = *c.at++;
      if (c.at == c.end) {
        heap.clear();
      }
      return v;
    }
    std::pop_heap(heap.begin(), heap.end(), later);
    cursor& c = heap.back();
    const std::uint32_t v = *c.at++;
    if (c.at == c.end) {
      heap.pop_back();
    } else {
      std::push_heap(heap.begin(), heap.end(), later);
    }
    return v;
  };

  enum class rule { unset, host, header, uri, method, sni };
  rule chosen = rule::unset;
  std::uint32_t host_key = none;
  auto in_reduced = [&](const entry& e) {
    const std::uint32_t* a = attrs_.data() + e.attrs;
    switch (chosen) {
      case rule::host:
        return std::any_of(a, a + e.n_hosts, [&](std::uint32_t x) {
          return ((x & wildcard_bit) != 0 ? wildcards_[x & ~wildcard_bit].host_id : x) == host_key;
        });
      case rule::header: {
        const std::uint32_t* h = a + e.n_hosts + e.n_methods + e.n_snis;
        return std::any_of(h, h + e.n_headers, [&](std::uint32_t x) { return header_conds_[x].name == st.hit_header; });
      }
      case rule::uri:
        return e.key != no_path_key_ && e.key == st.hit_uri;
      case rule::method:
        return std::find(a + e.n_hosts, a + e.n_hosts + e.n_methods, st.method_id) != a + e.n_hosts + e.n_methods;
      case rule::sni: {
        const std::uint32_t* x = a + e.n_hosts + e.n_methods;
        return std::find(x, x + e.n_snis, st.sni_id) != x + e.n_snis;
      }
      case rule::unset:
        break;
    }
    return false;
  };
  /// Kong's reduced list for category `c`: the rule with the shortest
  /// non-empty routes_by_* list for the request's hits (any rule when it
  /// is the category's only one).
  auto choose = [&](std::uint32_t c) {
    const std::uint32_t bits = category_bits_[c];
    const bool host_on = (bits & rule_host) != 0;
    const bool header_on = (bits & rule_header) != 0 && hit_header(st) != none;
    const bool uri_on = (bits & rule_uri) != 0 && hit_uri(st) != none;
    const bool method_on = (bits & rule_method) != 0;
    const bool sni_on = (bits & rule_sni) != 0;
    if (host_on) {
      const std::uint32_t wildcard_hit = hit_host(st);
      host_key = wildcard_hit != none ? wildcard_hit : st.raw_id;
    }
    const bool single = static_cast<int>(host_on) + static_cast<int>(header_on) + static_cast<int>(uri_on) +
                            static_cast<int>(method_on) + static_cast<int>(sni_on) ==
                        1;
    std::uint32_t chosen_size = 0;
    auto consider = [&](bool on, rule r, rule_tag tag, std::uint32_t id) {
      if (!on) {
        return;
      }
      if (single) {
        chosen = r;
        return;
      }
      const std::uint32_t size = id == none ? 0 : counts_.find(count_key(tag, c, id));
      if (size != 0 && (chosen == rule::unset || size < chosen_size)) {
        chosen = r;
        chosen_size = size;
      }
    };
    consider(host_on, rule::host, tag_host, host_key);
    consider(header_on, rule::header, tag_header, st.hit_header);
    consider(uri_on, rule::uri, tag_uri, st.hit_uri);
    consider(method_on, rule::method, tag_method, st.method_id);
    consider(sni_on, rule::sni, tag_sni, st.sni_id);
  };

  std::uint32_t first = none;
  std::uint32_t prev = none;
  for (std::uint32_t idx = next(); idx != none; idx = next()) {
    if (idx == prev) {
      continue;  /// reached through two host lists
    }
    prev = idx;
    const entry& e = entries_[idx];
    if (first != none && e.category != entries_[first].category) {
      break;
    }
    if (!entry_matches(e, st)) {
      continue;
    }
    if (first == none) {
      if (!any_hit(st)) {
        return nullptr;
      }
      first = idx;
      choose(e.category);
      if (chosen == rule::unset || in_reduced(e)) {
        return &routes_[e.route];
      }
      continue;
    }
    if (in_reduced(e)) {
      return &routes_[e.route];
    }
  }
  return first != none ? &routes_[entries_[first].route] : nullptr;
}

std::size_t radix_router::bytes() const {
  using namespace estimate;
  auto map_bytes = [](const id_map& m) {
    return hash_overhead(m.bucket_count(), m.size(), sizeof(id_map::value_type));
  };
  std::size_t n = sizeof(*this);
  n += routes_and_entries_bytes(routes_, {});
  n += regex_cache_bytes(regexes_);
  n += flat_bytes(entries_) + flat_bytes(attrs_) + flat_bytes(header_conds_) + flat_bytes(category_bits_);
  for (const auto& h : header_conds_) {
    n += heap_bytes(h.values);
  }
  n += map_bytes(host_ids_) + flat_bytes(host_wildcard_) + flat_bytes(wildcards_);
  n += heap_bytes(method_names_) + map_bytes(method_ids_) + map_bytes(sni_ids_);
  n += heap_bytes(header_names_) + map_bytes(header_ids_);
  n += paths_.bytes() + flat_bytes(regex_code_);
  n += flat_bytes(literal_off_) + flat_bytes(literal_regexes_) + flat_bytes(literal_code_);
  for (const auto& re : literal_code_) {
    if (re) {
      n += sizeof(regex) + heap_bytes(re->pattern());
    }
  }
  n += flat_bytes(key_lists_) + flat_bytes(general_) + flat_bytes(groups_) +
       flat_bytes(by_host_);
  n += flat_bytes(counts_.keys) + flat_bytes(counts_.counts);
  return n;
}

}  // namespace gwsim::router

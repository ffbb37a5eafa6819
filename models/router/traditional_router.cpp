#include "models/router/traditional_router.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "models/router/byte_estimates.hpp"
#include "models/router/marshalled_route.hpp"
#include "models/router/match_cache.hpp"
#include "models/router/path_host_index.hpp"
#include "models/router/regex.hpp"
#include "models/router/view_table.hpp"

namespace gwsim::router {

namespace {

/// The fields a category's routes_by_* index is keyed on, in the order
/// Kong's reduce step considers them.
enum rule_field : std::uint32_t { field_host, field_header, field_uri, field_method, field_sni, field_none };

/// Mixes a key's hash with its (category, field) tag (murmur3's finaliser),
/// so one table serves every category's indexes.
std::uint64_t tagged_hash(std::uint64_t key_hash, std::uint32_t tag) noexcept {
  std::uint64_t h = key_hash ^ (static_cast<std::uint64_t>(tag) * 0x9e3779b97f4a7c15ULL);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

/// The hash of view_table (so one hash serves both tables).
std::uint64_t hash_of(std::string_view s) noexcept {
  return view_table::hash(s);
}

/// Kong's routes_by_* tables only matter to the reduce step through the
/// lengths of their lists (which list is shortest) and through membership
/// (is a matching route in that list). Membership is a property of the
/// route itself (it has a rule with that key), so only the lengths are
/// kept: one open-addressing table from (category, field, key) to the
/// number of rules of the category's routes carrying that key (a route
/// counts once per such rule, as Kong's lists repeat it). Keys are views of
/// the marshalled routes' strings.
class rule_counts {
 public:
  void add(std::uint32_t tag, std::string_view key) { add(tag, key, hash_of(key)); }
  /// The same, with `key_hash` = hash_of(key).
  void add(std::uint32_t tag, std::string_view key, std::uint64_t key_hash) {
    if (4 * (size_ + 1) > 3 * slots_.size()) {
      grow();
    }
    const std::uint64_t h = tagged_hash(key_hash, tag);
    std::size_t pos = h & mask_;
    while (slots_[pos].count != 0) {
      slot& sl = slots_[pos];
      if (sl.hash == h && sl.tag == tag && sl.key == key) {
        ++sl.count;
        return;
      }
      pos = (pos + 1) & mask_;
    }
    slots_[pos] = {key, h, tag, 1};
    ++size_;
  }

  /// The count for `key` (whose hash_of is `key_hash`) under `tag`; 0 when
  /// no rule carries it.
  [[nodiscard]] std::uint32_t count(std::uint32_t tag, std::string_view key, std::uint64_t key_hash) const noexcept {
    if (slots_.empty()) {
      return 0;
    }
    const std::uint64_t h = tagged_hash(key_hash, tag);
    std::size_t pos = h & mask_;
    while (slots_[pos].count != 0) {
      const slot& sl = slots_[pos];
      if (sl.hash == h && sl.tag == tag && sl.key == key) {
        return sl.count;
      }
      pos = (pos + 1) & mask_;
    }
    return 0;
  }

  [[nodiscard]] std::size_t bytes() const { return estimate::flat_bytes(slots_); }

 private:
  struct slot {
    std::string_view key{};
    std::uint64_t hash = 0;  ///< tagged_hash of the key: probes and growth read no string
    std::uint32_t tag = 0;
    std::uint32_t count = 0;  ///< 0 marks an empty slot
  };

  void grow() {
    std::vector<slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 64 : 2 * old.size(), slot{});
    mask_ = slots_.size() - 1;
    rehash(old);
  }

  void rehash(const std::vector<slot>& old) {
    for (const slot& sl : old) {
      if (sl.count != 0) {
        std::size_t pos = sl.hash & mask_;
        while (slots_[pos].count != 0) {
          pos = (pos + 1) & mask_;
        }
        slots_[pos] = sl;
      }
    }
  }

  std::vector<slot> slots_;  ///< linear probing, at most 3/4 full
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace

// ---- the router ------------------------------------------------------------

struct traditional_router::impl {
  using entry = marshalled_route;
  /// Kong's categories[bits]. Their routes_by_* indexes live in `counts`;
  /// their sorted route lists are the entries whose entry_info names the
  /// category's position.
  struct category {
    std::uint32_t bits = 0;
    int match_weight = 0;
  };
  struct named_regex {
    std::string_view value;  ///< a view of the routes
    const regex* re = nullptr;
    std::string_view pooled;  ///< the value's copy in wildcard_pool
    bool literal = false;     ///< wildcard_host_is_literal(value): prefiltered
  };
  using context = match_context;

  std::vector<route> routes;
  regex_cache regexes;         ///< one per pattern; entries point into it
  std::vector<entry> entries;  ///< Kong's sort_routes order
  std::vector<category> categories;
  rule_counts counts;  ///< (category, field, key) -> length of Kong's routes_by_* list

  /// Views of the routes' (or the entries') strings.
  using view_set = view_table;  ///< values unused
  view_set plain_hosts;
  std::vector<named_regex> wildcard_hosts;  ///< sorted route order, first of each value
  /// The wildcard values side by side, so the prefilter scan that classifies
  /// every request reads one block rather than a heap string per wildcard.
  std::string wildcard_pool;
  view_table header_rank;  ///< first appearance
  /// Bit min(length, 63) set for every name in header_rank: a request header
  /// whose name has no such length is passed over without being lower-cased
  /// and looked up (most requests carry only headers no route names).
  std::uint64_t header_lengths = 0;
  std::vector<std::string_view> header_names;                       ///< by rank
  /// Kong scans its regex paths in order, then looks the path up among
  /// plain paths and prefixes (longest first), then scans candidate lists.
  /// The same answers come from path_host_index: the first matching regex,
  /// else the longest prefix, and every entry that can match.
  path_host_index candidates_index;
  /// Per entry: its position in categories (< 0x80) in the low byte and,
  /// in the high byte, method_bit() of each of its methods (all bits when
  /// it has no method rule), so candidates with another method are dropped
  /// without touching the entry.
  std::vector<std::uint16_t> entry_info;
  view_set methods;
  view_set snis;

  match_cache cache;
  /// Reused by match(), so a cache hit allocates nothing and a miss only
  /// what its context's strings outgrow.
  std::string key_buffer;
  std::string name_buffer;
  context context_buffer;

  explicit impl(std::vector<route> rs, std::size_t cache_slots) : routes(std::move(rs)), cache(cache_slots) { build(); }

  /// A bit for each of the common methods, 0 for any other: an entry whose
  /// mask lacks the request's bit cannot match (a method outside the list
  /// gives no bit and filters nothing).
  static std::uint8_t method_bit(std::string_view m) noexcept {
    static constexpr std::string_view common[8] = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE"};
    for (std::size_t b = 0; b < 8; ++b) {
      if (m == common[b]) {
        return static_cast<std::uint8_t>(1U << b);
      }
    }
    return 0;
  }

  static std::uint32_t tag(std::size_t category, rule_field field) noexcept {
    return static_cast<std::uint32_t>(category) * 8 + field;
  }

  void build() {
    entries = marshall_routes(routes, regexes);

    /// Categories: one per distinct bit set (bits < 0x80), in Kong's order.
    constexpr std::size_t bit_values = 0x80;
    std::array<std::uint32_t, bit_values> position{};
    position.fill(UINT32_MAX);
    for (const entry& e : entries) {
      if (position[e.match_rules] == UINT32_MAX) {
        position[e.match_rules] = 0;
        categories.push_back({e.match_rules, e.match_weight});
      }
    }
    std::sort(categories.begin(), categories.end(), [](const category& a, const category& b) {
      return category_precedes(a.match_weight, a.bits, b.match_weight, b.bits);
    });
    for (std::size_t c = 0; c < categories.size(); ++c) {
      position[categories[c].bits] = static_cast<std::uint32_t>(c);
    }

    entry_info.resize(entries.size());
    view_set seen_wildcards;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const entry& e = entries[i];
      const std::uint32_t c = position[e.match_rules];
      std::uint8_t mask = 0xff;
      if ((e.match_rules & rule_method) != 0) {
        mask = 0;
        for (const auto& m : e.methods) {
          mask |= method_bit(m);
        }
      }
      entry_info[i] = static_cast<std::uint16_t>((mask << 8U) | c);

      for (const auto& h : e.hosts) {
        counts.add(tag(c, field_host), h.value, h.hash);
        if (h.wildcard == nullptr) {
          plain_hosts.try_emplace(h.value, h.hash, 0);
        } else if (seen_wildcards.try_emplace(h.value, 0).second) {
          wildcard_hosts.push_back({h.value, h.wildcard, {}, wildcard_host_is_literal(h.value)});
        }
      }
      for (const auto& h : e.headers) {
        counts.add(tag(c, field_header), h.name);
        if (header_rank.try_emplace(h.name, static_cast<std::uint32_t>(header_names.size())).second) {
          header_names.push_back(h.name);
          header_lengths |= length_bit(h.name.size());
        }
      }
      for (const auto& u : e.uris) {
        counts.add(tag(c, field_uri), u.value, u.hash);
      }
      for (const auto& m : e.methods) {
        const std::uint64_t hv = hash_of(m);
        counts.add(tag(c, field_method), m, hv);
        methods.try_emplace(m, hv, 0);
      }
      for (const auto& sni : e.snis) {
        counts.add(tag(c, field_sni), sni);
        snis.try_emplace(sni, 0);
      }
    }
    std::size_t pool_size = 0;
    for (const auto& w : wildcard_hosts) {
      pool_size += w.value.size();
    }
    wildcard_pool.reserve(pool_size);
    for (auto& w : wildcard_hosts) {
      w.pooled = std::string_view(wildcard_pool.data() + wildcard_pool.size(), w.value.size());
      wildcard_pool += w.value;
    }
    candidates_index = path_host_index(entries);
  }

  /// Headers no route looks at are dropped from a request's context.
  [[nodiscard]] bool header_wanted(const std::string& name) const { return (header_lengths & length_bit(name.size())) != 0 && header_rank.contains(name); }

  [[nodiscard]] context make_context(const request& req) const {
    return make_match_context(req, [this](const std::string& name) { return header_wanted(name); });
  }

  /// The context of `req` in context_buffer.
  context& reused_context(const request& req) {
    fill_match_context(req, [this](const std::string& name) { return header_wanted(name); }, context_buffer);
    return context_buffer;
  }

  [[nodiscard]] static std::uint64_t length_bit(std::size_t length) noexcept {
    return std::uint64_t{1} << std::min<std::size_t>(length, 63);
  }

  /// Whether make_context would keep any header of `req`.
  [[nodiscard]] bool keeps_a_header(const request& req) {
    if (header_rank.empty()) {
      return false;
    }
    const std::size_t n_headers = std::min(req.headers.size(), max_request_headers);
    for (std::size_t i = 0; i < n_headers; ++i) {
      const std::string& name = req.headers[i].first;
      if ((header_lengths & length_bit(name.size())) == 0) {
        continue;
      }
      name_buffer.assign(name.size(), '\0');
      std::transform(name.begin(), name.end(), name_buffer.begin(),
                     [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
      if (name_buffer != "host" && header_rank.contains(std::string_view(name_buffer))) {
        return true;
      }
    }
    return false;
  }

  /// The request's keys for the reduce step and their hashes, computed once
  /// per request rather than once per category.
  struct reduce_keys {
    std::string_view key[field_none];
    std::uint64_t hash[field_none] = {};
    bool present[field_none] = {};
  };

  [[nodiscard]] static reduce_keys keys_of(const context& ctx) {
    reduce_keys k;
    auto set = [&k](rule_field f, std::string_view v) {
      k.key[f] = v;
      k.hash[f] = hash_of(v);
      k.present[f] = true;
    };
    set(field_host, ctx.hit_host != nullptr ? std::string_view(*ctx.hit_host) : ctx.raw_host);
    if (ctx.hit_header != nullptr) {
      set(field_header, *ctx.hit_header);
    }
    if (ctx.hit_uri != nullptr) {
      set(field_uri, *ctx.hit_uri);
    }
    set(field_method, ctx.method);
    set(field_sni, ctx.sni);
    return k;
  }

  /// Kong's reduce: the shortest non-empty routes_by_* list for the
  /// request's hits (host, header, uri, method, sni order; first on ties),
  /// as the field it is keyed on (field_none when every list is empty).
  [[nodiscard]] rule_field reduce(std::size_t c, const reduce_keys& k) const {
    static constexpr std::uint32_t field_bit[field_none] = {rule_host, rule_header, rule_uri, rule_method, rule_sni};
    const std::uint32_t bits = categories[c].bits;
    rule_field best = field_none;
    std::uint32_t best_count = 0;
    for (std::uint32_t f = field_host; f < field_none; ++f) {
      if ((bits & field_bit[f]) == 0 || !k.present[f]) {
        continue;
      }
      const std::uint32_t n = counts.count(tag(c, static_cast<rule_field>(f)), k.key[f], k.hash[f]);
      if (n != 0 && (best == field_none || n < best_count)) {
        best = static_cast<rule_field>(f);
        best_count = n;
      }
    }
    return best;
  }

  /// Whether `e` is in its category's routes_by_<field>[key] list: it has
  /// a rule of that field carrying the key.
  [[nodiscard]] static bool listed(const entry& e, rule_field field, std::string_view key) {
    switch (field) {
      case field_host:
        return std::any_of(e.hosts.begin(), e.hosts.end(), [key](const host_rule& h) { return h.value == key; });
      case field_header:
        return std::any_of(e.headers.begin(), e.headers.end(), [key](const header_rule& h) { return h.name == key; });
      case field_uri:
        return std::any_of(e.uris.begin(), e.uris.end(), [key](const uri_rule& u) { return u.value == key; });
      case field_method:
        return std::find(e.methods.begin(), e.methods.end(), key) != e.methods.end();
      case field_sni:
        return std::find(e.snis.begin(), e.snis.end(), key) != e.snis.end();
      case field_none:
        break;
    }
    return false;
  }

  /// Whether the wildcard host `h` matches `host_with_port`: the literal
  /// pieces are checked first, then the regex, whose answer is kept for
  /// the rest of the request (many entries share a wildcard host).
  [[nodiscard]] static bool wildcard_matches(const host_rule& h, std::string_view host_with_port) {
    auto& memo = wildcard_memo();
    for (const auto& [re, ok] : memo) {
      if (re == h.wildcard) {
        return ok;
      }
    }
    const bool ok = (!wildcard_host_is_literal(h.value) || wildcard_host_may_match(h.value, host_with_port)) &&
                    h.wildcard->matches_prefix(host_with_port);
    memo.emplace_back(h.wildcard, ok);
    return ok;
  }

  /// Wildcard answers of the request being matched (cleared per request).
  static std::vector<std::pair<const regex*, bool>>& wildcard_memo() {
    thread_local std::vector<std::pair<const regex*, bool>> memo;
    return memo;
  }

  /// Candidates whose entries find() prefetches: a miss usually settles
  /// within its first two.
  static constexpr std::size_t prefetched_candidates = 4;

  /// Starts loading the cache lines of `e` that other_rules_match() reads.
  static void prefetch_entry(const entry& e) noexcept {
    const auto* p = reinterpret_cast<const char*>(&e);
    for (std::size_t off = 0; off < sizeof(entry); off += 64) {
      __builtin_prefetch(p + off);
    }
  }

  /// matches() without its path rule, for an entry whose path is known to
  /// match the request's. `method_known`: the entry passed the method-bit
  /// filter of find() for a method that has a bit, which settles its method
  /// rule (the bits of the common methods are distinct), so the route's
  /// method strings (cold on a miss) are not compared.
  [[nodiscard]] static bool other_rules_match(const entry& e, const context& ctx, bool method_known) {
    return matches_except_path(e, ctx, wildcard_matches, method_known);
  }


  /// The matched entry's route index + 1, or 0.
  [[nodiscard]] std::uint32_t find(context& ctx) const {
    std::uint32_t req_category = 0;
    wildcard_memo().clear();

    /// Header hit: the header name of lowest rank (first in sorted route
    /// order) that the request carries.
    std::uint32_t best_rank = UINT32_MAX;
    for (const auto& h : ctx.headers) {
      if (const std::uint32_t* rank = header_rank.find(h.first); rank != nullptr) {
        best_rank = std::min(best_rank, *rank);
      }
    }
    if (best_rank != UINT32_MAX) {
      ctx.hit_header = header_names[best_rank];
      req_category |= rule_header;
    }

    /// Host hit: a plain host equal to host-with-port or host-without-port,
    /// else the first wildcard matching host-with-port.
    if (plain_hosts.contains(ctx.host.host_with_port) || plain_hosts.contains(ctx.host.host_no_port)) {
      req_category |= rule_host;
    } else {
      for (const auto& w : wildcard_hosts) {
        if (w.literal && !wildcard_host_may_match(w.pooled, ctx.host.host_with_port)) {
          continue;
        }
        const bool ok = w.re->matches_prefix(ctx.host.host_with_port);
        wildcard_memo().emplace_back(w.re, ok);
        if (ok) {
          ctx.hit_host = w.value;
          req_category |= rule_host;
          break;
        }
      }
    }

    /// URI hit: the first matching regex, else the longest prefix (the
    /// plain path itself when a route has it). The same walk gives every
    /// entry that can match.
    thread_local std::vector<std::uint32_t> matching;
    thread_local std::vector<std::uint32_t> unchecked;
    const path_host_index::result hits =
        candidates_index.candidates(ctx.path, ctx.raw_host, ctx.host.host_no_port, matching, &unchecked);
    ctx.hit_uri = hits.regex_hit != nullptr ? hits.regex_hit : hits.longest_prefix;
    if (ctx.hit_uri != nullptr) {
      req_category |= rule_uri;
    }
    if (methods.contains(std::string_view(ctx.method))) {
      req_category |= rule_method;
    }
    if (snis.contains(ctx.sni)) {
      req_category |= rule_sni;
    }
    if (req_category == 0) {
      return 0;
    }

    /// A route can only match when each of its rules is one the request
    /// hits, so categories with another bit are skipped. One exception is
    /// kept: a plain host equal to the Host header as sent matches even when
    /// the classification above (which compares host-with-port and
    /// host-without-port) missed it, e.g. for `[::1]`.
    std::uint32_t reachable = req_category;
    if ((reachable & rule_host) == 0 && plain_hosts.contains(ctx.raw_host)) {
      reachable |= rule_host;
    }
    /// Kong scans each category's reduced list, then the whole category,
    /// and returns the first entry that matches. Both lists are in sorted
    /// (index) order, so the answer is the lowest matching index of the
    /// category that is in the reduced list, else the lowest matching one of
    /// the category. The predicate is only evaluated as far as that answer
    /// needs: categories in order, in a category up to its first match and
    /// then, when that one is not listed, the later listed candidates.
    if (matching.empty()) {
      return 0;
    }
    /// Candidates of the reachable categories grouped by category (in
    /// Kong's category order), each group in sorted order.
    thread_local std::vector<std::uint64_t> by_category;
    by_category.clear();
    const std::uint8_t request_method = method_bit(ctx.method);
    for (std::uint32_t idx : matching) {
      const std::uint32_t info = entry_info[idx];
      const std::uint32_t c = info & 0xffU;
      if (((info >> 8U) & request_method) != request_method || (categories[c].bits & ~reachable) != 0) {
        continue;
      }
      by_category.push_back((static_cast<std::uint64_t>(c) << 32U) | idx);
    }
    std::sort(by_category.begin(), by_category.end());
    /// The entries tested first are scattered over the entry array: their
    /// loads are started together rather than one after another.
    for (std::size_t k = 0; k < std::min<std::size_t>(by_category.size(), prefetched_candidates); ++k) {
      prefetch_entry(entries[static_cast<std::uint32_t>(by_category[k])]);
    }
    /// The predicate of matches(): the path was checked by the index except
    /// for the unchecked entries, whose regexes run last (once each).
    thread_local std::vector<std::pair<const regex*, bool>> regex_results;
    regex_results.clear();
    const bool method_known = request_method != 0;
    auto passes = [&](const entry& e, const context& c) {
      if (!other_rules_match(e, c, method_known)) {
        return false;
      }
      const auto idx = static_cast<std::uint32_t>(&e - entries.data());
      if (unchecked.empty() || !std::binary_search(unchecked.begin(), unchecked.end(), idx)) {
        return true;
      }
      return std::any_of(e.uris.begin(), e.uris.end(), [&c](const uri_rule& u) {
        if (u.re == nullptr) {
          return c.path.starts_with(u.value);
        }
        for (const auto& [re, ok] : regex_results) {
          if (re == u.re) {
            return ok;
          }
        }
        const bool ok = u.re->matches_prefix(c.path);
        regex_results.emplace_back(u.re, ok);
        return ok;
      });
    };
    /// In a category the answer is the lowest listed entry that matches,
    /// else the lowest that matches: it is the lowest match itself unless a
    /// later listed one matches while it is not listed. So the reduce step
    /// (whose count tables are cold on a miss) is only taken in a category
    /// with a match and another candidate after it.
    std::optional<reduce_keys> keys;
    const auto entry_of = [this](std::uint64_t v) -> const entry& { return entries[static_cast<std::uint32_t>(v)]; };
    for (std::size_t i = 0; i < by_category.size();) {
      const auto c = static_cast<std::uint32_t>(by_category[i] >> 32U);
      std::size_t end = i + 1;
      while (end < by_category.size() && (by_category[end] >> 32U) == c) {
        ++end;
      }
      std::size_t k = i;
      i = end;
      while (k < end && !passes(entry_of(by_category[k]), ctx)) {
        ++k;
      }
      if (k == end) {
        continue;
      }
      const entry& first = entry_of(by_category[k]);
      if (k + 1 == end) {
        return first.route_index + 1;
      }
      if (!keys) {
        keys = keys_of(ctx);
      }
      const rule_field field = reduce(c, *keys);
      if (field == field_none || listed(first, field, keys->key[field])) {
        return first.route_index + 1;
      }
      for (++k; k < end; ++k) {
        const entry& e = entry_of(by_category[k]);
        if (listed(e, field, keys->key[field]) && passes(e, ctx)) {
          return e.route_index + 1;
        }
      }
      return first.route_index + 1;
    }
    return 0;
  }

  [[nodiscard]] const route* to_route(std::uint64_t v) const { return v == 0 ? nullptr : &routes[v - 1]; }

  static std::size_t view_set_bytes(const view_set& s) { return s.bytes(); }

  static std::size_t context_bytes(const context& c) {
    using namespace estimate;
    std::size_t n = heap_bytes(c.method) + heap_bytes(c.host.host_no_port) + heap_bytes(c.host.host_with_port);
    n += flat_bytes(c.headers);
    for (const auto& [name, values] : c.headers) {
      n += heap_bytes(name) + heap_bytes(values);
    }
    return n;
  }

  [[nodiscard]] std::size_t bytes() const {
    using namespace estimate;
    std::size_t n = sizeof(impl);
    n += routes_and_entries_bytes(routes, entries);
    n += flat_bytes(categories) + counts.bytes();
    n += regex_cache_bytes(regexes);
    n += view_set_bytes(plain_hosts) + view_set_bytes(methods) + view_set_bytes(snis);
    n += candidates_index.bytes() + flat_bytes(entry_info);
    n += flat_bytes(wildcard_hosts);
    n += heap_bytes(wildcard_pool);
    n += header_rank.bytes();
    n += flat_bytes(header_names);
    n += heap_bytes(key_buffer) + heap_bytes(name_buffer) + context_bytes(context_buffer);
    return n + cache.bytes();
  }
};

traditional_router::traditional_router(std::vector<route> routes, std::size_t cache_slots)
    : impl_(std::make_unique<impl>(std::move(routes), cache_slots)) {}
traditional_router::~traditional_router() = default;
traditional_router::traditional_router(traditional_router&&) noexcept = default;
traditional_router& traditional_router::operator=(traditional_router&&) noexcept = default;

const route* traditional_router::match(const request& req) {
  impl& im = *impl_;
  /// Without kept headers the key is built straight from the request, so a
  /// hit fills no match context.
  const bool with_headers = im.keeps_a_header(req);
  if (with_headers) {
    match_cache::make_key(im.reused_context(req), req.scheme, im.key_buffer);
  } else {
    match_cache::begin_key(im.key_buffer, req.method, req.host, req.scheme, req.path, req.sni);
  }
  const std::uint64_t hash = match_cache::hash(im.key_buffer);
  if (const auto cached = im.cache.find(hash, im.key_buffer)) {
    return im.to_route(*cached);
  }
  const std::uint32_t found = im.find(with_headers ? im.context_buffer : im.reused_context(req));
  im.cache.insert(hash, im.key_buffer, found);
  return im.to_route(found);
}

const route* traditional_router::match_uncached(const request& req) const {
  impl::context ctx = impl_->make_context(req);
  return impl_->to_route(impl_->find(ctx));
}

std::uint64_t traditional_router::cache_hits() const noexcept {
  return impl_->cache.hits();
}
std::uint64_t traditional_router::cache_misses() const noexcept {
  return impl_->cache.misses();
}
std::size_t traditional_router::cache_size() const noexcept {
  return impl_->cache.size();
}
std::size_t traditional_router::cache_slots() const noexcept {
  return impl_->cache.capacity();
}
void traditional_router::flush_cache() noexcept {
  impl_->cache.flush();
}
std::size_t traditional_router::bytes() const {
  return impl_->bytes();
}

}  // namespace gwsim::router

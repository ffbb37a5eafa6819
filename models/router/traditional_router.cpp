#include "models/router/traditional_router.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "models/router/byte_estimates.hpp"
#include "models/router/marshalled_route.hpp"
#include "models/router/path_host_index.hpp"
#include "models/router/regex.hpp"

namespace gwsim::router {

namespace {

using index_list = std::vector<std::uint32_t>;
using string_index = string_map<index_list>;

std::uint64_t fnv1a(std::string_view s) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

void append_field(std::string& key, std::string_view field) {
  const auto n = static_cast<std::uint32_t>(field.size());
  for (int shift = 0; shift < 32; shift += 8) {
    key += static_cast<char>((n >> shift) & 0xffU);
  }
  key += field;
}

// ---- the match cache -------------------------------------------------------

/// A fixed-slot LRU from a request key to a cached answer. Slots are linked
/// through index fields (most recent at head); a hash map from the key's
/// 64-bit hash to its slot finds them. Two keys with the same hash share one
/// slot: the full key is stored and compared, so they only evict each other.
class match_cache {
 public:
  static constexpr std::uint32_t none = UINT32_MAX;

  explicit match_cache(std::size_t slots) : slots_(slots) { index_.reserve(slots); }

  /// The cached value for `key`, refreshing its recency.
  std::optional<std::uint32_t> find(std::uint64_t hash, const std::string& key) {
    const auto it = index_.find(hash);
    if (it == index_.end() || slots_[it->second].key != key) {
      ++misses_;
      return std::nullopt;
    }
    ++hits_;
    const std::uint32_t s = it->second;
    unlink(s);
    push_front(s);
    return slots_[s].value;
  }

  void insert(std::uint64_t hash, std::string key, std::uint32_t value) {
    if (slots_.empty()) {
      return;
    }
    std::uint32_t s = none;
    if (const auto it = index_.find(hash); it != index_.end()) {
      s = it->second;  /// a colliding key takes over the slot
      unlink(s);
    } else if (used_ < slots_.size()) {
      s = static_cast<std::uint32_t>(used_++);
      index_.emplace(hash, s);
    } else {
      s = tail_;
      unlink(s);
      index_.erase(slots_[s].hash);
      index_.emplace(hash, s);
    }
    slot& sl = slots_[s];
    sl.hash = hash;
    sl.key = std::move(key);
    sl.value = value;
    push_front(s);
  }

  void flush() noexcept {
    index_.clear();
    used_ = 0;
    head_ = tail_ = none;
  }

  [[nodiscard]] std::uint64_t hits() const noexcept { return hits_; }
  [[nodiscard]] std::uint64_t misses() const noexcept { return misses_; }
  [[nodiscard]] std::size_t size() const noexcept { return index_.size(); }
  [[nodiscard]] std::size_t capacity() const noexcept { return slots_.size(); }

  [[nodiscard]] std::size_t bytes() const {
    using namespace estimate;
    std::size_t n = flat_bytes(slots_);
    for (const auto& s : slots_) {
      n += heap_bytes(s.key);
    }
    return n +
           hash_overhead(index_.bucket_count(), index_.size(), sizeof(std::pair<const std::uint64_t, std::uint32_t>));
  }

 private:
  struct slot {
    std::uint64_t hash = 0;
    std::string key{};
    std::uint32_t value = 0;
    std::uint32_t prev = none;
    std::uint32_t next = none;
  };

  void unlink(std::uint32_t s) noexcept {
    slot& sl = slots_[s];
    if (sl.prev != none) {
      slots_[sl.prev].next = sl.next;
    } else if (head_ == s) {
      head_ = sl.next;
    }
    if (sl.next != none) {
      slots_[sl.next].prev = sl.prev;
    } else if (tail_ == s) {
      tail_ = sl.prev;
    }
    sl.prev = sl.next = none;
  }
  void push_front(std::uint32_t s) noexcept {
    slots_[s].prev = none;
    slots_[s].next = head_;
    if (head_ != none) {
      slots_[head_].prev = s;
    }
    head_ = s;
    if (tail_ == none) {
      tail_ = s;
    }
  }

  std::vector<slot> slots_;
  std::unordered_map<std::uint64_t, std::uint32_t> index_{};
  std::size_t used_ = 0;
  std::uint32_t head_ = none;
  std::uint32_t tail_ = none;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
};

}  // namespace

// ---- the router ------------------------------------------------------------

struct traditional_router::impl {
  using entry = marshalled_route;
  /// Kong's categories[bits]: routes_by_* indexes and the full sorted list.
  /// Index lists repeat an entry once per rule carrying the key, as Kong's
  /// do, since the reduce step compares list lengths.
  struct category {
    std::uint32_t bits = 0;
    int match_weight = 0;
    index_list all;
    string_index by_host, by_header, by_uri, by_method, by_sni;
  };
  struct named_regex {
    std::string value;
    const regex* re = nullptr;
  };
  using context = match_context;

  std::vector<route> routes;
  regex_cache regexes;         ///< one per pattern; entries point into it
  std::vector<entry> entries;  ///< Kong's sort_routes order
  std::vector<category> categories;

  string_set plain_hosts;
  std::vector<named_regex> wildcard_hosts;  ///< sorted route order, first of each value
  string_map<std::uint32_t> header_rank;    ///< first appearance
  std::vector<std::string> header_names;    ///< by rank
  /// Kong scans its regex paths in order, then looks the path up among
  /// plain paths and prefixes (longest first), then scans candidate lists.
  /// The same answers come from path_host_index: the first matching regex,
  /// else the longest prefix, and every entry that can match.
  path_host_index candidates_index;
  std::vector<std::uint32_t> entry_category;  ///< per entry: position in categories
  string_set methods;
  string_set snis;

  match_cache cache;

  explicit impl(std::vector<route> rs, std::size_t cache_slots) : routes(std::move(rs)), cache(cache_slots) { build(); }

  void build() {
    entries = marshall_routes(routes, regexes);

    std::map<std::uint32_t, std::size_t> by_bits;
    string_set seen_wildcards;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const entry& e = entries[i];
      const auto idx = static_cast<std::uint32_t>(i);
      auto [it, inserted] = by_bits.try_emplace(e.match_rules, categories.size());
      if (inserted) {
        categories.push_back({});
        categories.back().bits = e.match_rules;
        categories.back().match_weight = e.match_weight;
      }
      category& cat = categories[it->second];
      cat.all.push_back(idx);

      for (const auto& h : e.hosts) {
        cat.by_host[h.value].push_back(idx);
        if (h.wildcard == nullptr) {
          plain_hosts.insert(h.value);
        } else if (seen_wildcards.insert(h.value).second) {
          wildcard_hosts.push_back({h.value, h.wildcard});
        }
      }
      for (const auto& h : e.headers) {
        cat.by_header[h.name].push_back(idx);
        if (header_rank.try_emplace(h.name, static_cast<std::uint32_t>(header_names.size())).second) {
          header_names.push_back(h.name);
        }
      }
      for (const auto& u : e.uris) {
        cat.by_uri[u.value].push_back(idx);
      }
      for (const auto& m : e.methods) {
        cat.by_method[m].push_back(idx);
        methods.insert(m);
      }
      for (const auto& s : e.snis) {
        cat.by_sni[s].push_back(idx);
        snis.insert(s);
      }
    }
    std::sort(categories.begin(), categories.end(), [](const category& a, const category& b) {
      return category_precedes(a.match_weight, a.bits, b.match_weight, b.bits);
    });
    entry_category.resize(entries.size());
    for (std::size_t c = 0; c < categories.size(); ++c) {
      for (std::uint32_t idx : categories[c].all) {
        entry_category[idx] = static_cast<std::uint32_t>(c);
      }
    }
    candidates_index = path_host_index(entries);
  }

  [[nodiscard]] context make_context(const request& req) const {
    /// Headers no route looks at are dropped.
    return make_match_context(req, [this](const std::string& name) { return header_rank.contains(name); });
  }

  [[nodiscard]] static std::string cache_key(const context& ctx, const request& req) {
    std::string key;
    append_field(key, ctx.method);
    append_field(key, ctx.raw_host);
    append_field(key, req.scheme == "https" ? "s" : "");
    append_field(key, ctx.path);
    append_field(key, ctx.sni);
    for (const auto& [name, values] : ctx.headers) {
      append_field(key, name);
      append_field(key, std::to_string(values.size()));
      for (const auto& v : values) {
        append_field(key, v);
      }
    }
    return key;
  }

  /// Kong's reduce: the shortest non-empty routes_by_* list for the
  /// request's hits (host, header, uri, method, sni order; first on ties).
  [[nodiscard]] const index_list* reduce(const category& cat, const context& ctx) const {
    const index_list* best = nullptr;
    auto consider = [&best](const string_index& index, std::string_view key) {
      const auto it = index.find(key);
      if (it != index.end() && !it->second.empty() && (best == nullptr || it->second.size() < best->size())) {
        best = &it->second;
      }
    };
    if ((cat.bits & rule_host) != 0) {
      consider(cat.by_host, ctx.hit_host != nullptr ? std::string_view(*ctx.hit_host) : ctx.raw_host);
    }
    if ((cat.bits & rule_header) != 0 && ctx.hit_header != nullptr) {
      consider(cat.by_header, *ctx.hit_header);
    }
    if ((cat.bits & rule_uri) != 0 && ctx.hit_uri != nullptr) {
      consider(cat.by_uri, *ctx.hit_uri);
    }
    if ((cat.bits & rule_method) != 0) {
      consider(cat.by_method, ctx.method);
    }
    if ((cat.bits & rule_sni) != 0) {
      consider(cat.by_sni, ctx.sni);
    }
    return best;
  }

  /// The matched entry's route index + 1, or 0.
  [[nodiscard]] std::uint32_t find(context& ctx) const {
    std::uint32_t req_category = 0;

    /// Header hit: the header name of lowest rank (first in sorted route
    /// order) that the request carries.
    std::uint32_t best_rank = UINT32_MAX;
    for (const auto& h : ctx.headers) {
      if (const auto it = header_rank.find(h.first); it != header_rank.end()) {
        best_rank = std::min(best_rank, it->second);
      }
    }
    if (best_rank != UINT32_MAX) {
      ctx.hit_header = &header_names[best_rank];
      req_category |= rule_header;
    }

    /// Host hit: a plain host equal to host-with-port or host-without-port,
    /// else the first wildcard matching host-with-port.
    if (plain_hosts.contains(ctx.host.host_with_port) || plain_hosts.contains(ctx.host.host_no_port)) {
      req_category |= rule_host;
    } else {
      for (const auto& w : wildcard_hosts) {
        if (w.re->matches_prefix(ctx.host.host_with_port)) {
          ctx.hit_host = &w.value;
          req_category |= rule_host;
          break;
        }
      }
    }

    /// URI hit: the first matching regex, else the plain path itself, else
    /// the longest prefix.
    /// URI hit: the first matching regex, else the longest prefix (the
    /// plain path itself when a route has it). The same walk gives every
    /// entry that can match.
    thread_local std::vector<std::uint32_t> matching;
    const path_host_index::result hits =
        candidates_index.candidates(ctx.path, ctx.raw_host, ctx.host.host_no_port, matching);
    ctx.hit_uri = hits.regex_hit != nullptr ? hits.regex_hit : hits.longest_prefix;
    if (ctx.hit_uri != nullptr) {
      req_category |= rule_uri;
    }
    if (methods.contains(ctx.method)) {
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
    if (plain_hosts.contains(ctx.raw_host)) {
      reachable |= rule_host;
    }
    /// Kong scans each category's reduced list, then the whole category,
    /// and returns the first entry that matches. Both lists are in sorted
    /// (index) order, so the answer is the lowest matching index of the
    /// category that is in the reduced list, else the lowest of the category.
    std::erase_if(matching, [&](std::uint32_t idx) { return !matches(entries[idx], ctx); });
    if (matching.empty()) {
      return 0;
    }
    for (std::size_t c = 0; c < categories.size(); ++c) {
      const category& cat = categories[c];
      if ((cat.bits & ~reachable) != 0) {
        continue;
      }
      const auto in_category = [&](std::uint32_t idx) { return entry_category[idx] == c; };
      if (const index_list* reduced = reduce(cat, ctx); reduced != nullptr) {
        for (std::uint32_t idx : matching) {
          if (in_category(idx) && std::binary_search(reduced->begin(), reduced->end(), idx)) {
            return entries[idx].route_index + 1;
          }
        }
      }
      for (std::uint32_t idx : matching) {
        if (in_category(idx)) {
          return entries[idx].route_index + 1;
        }
      }
    }
    return 0;
  }

  [[nodiscard]] const route* to_route(std::uint32_t v) const { return v == 0 ? nullptr : &routes[v - 1]; }

  [[nodiscard]] std::size_t bytes() const {
    using namespace estimate;
    std::size_t n = sizeof(impl);
    n += routes_and_entries_bytes(routes, entries);
    n += flat_bytes(categories);
    for (const auto& c : categories) {
      n += flat_bytes(c.all) + heap_bytes(c.by_host) + heap_bytes(c.by_header) + heap_bytes(c.by_uri) +
           heap_bytes(c.by_method) + heap_bytes(c.by_sni);
    }
    n += regex_cache_bytes(regexes);
    n += heap_bytes(plain_hosts) + heap_bytes(methods) + heap_bytes(snis);
    n += candidates_index.bytes() + flat_bytes(entry_category);
    n += flat_bytes(wildcard_hosts);
    for (const auto& w : wildcard_hosts) {
      n += heap_bytes(w.value);
    }
    n += hash_overhead(header_rank.bucket_count(), header_rank.size(), sizeof(decltype(header_rank)::value_type));
    for (const auto& [name, rank] : header_rank) {
      n += heap_bytes(name);
    }
    n += heap_bytes(header_names);
    return n + cache.bytes();
  }
};

traditional_router::traditional_router(std::vector<route> routes, std::size_t cache_slots)
    : impl_(std::make_unique<impl>(std::move(routes), cache_slots)) {}
traditional_router::~traditional_router() = default;
traditional_router::traditional_router(traditional_router&&) noexcept = default;
traditional_router& traditional_router::operator=(traditional_router&&) noexcept = default;

const route* traditional_router::match(const request& req) {
  impl::context ctx = impl_->make_context(req);
  std::string key = impl::cache_key(ctx, req);
  const std::uint64_t hash = fnv1a(key);
  if (const auto cached = impl_->cache.find(hash, key)) {
    return impl_->to_route(*cached);
  }
  const std::uint32_t found = impl_->find(ctx);
  impl_->cache.insert(hash, std::move(key), found);
  return impl_->to_route(found);
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

#pragma once
/// Kong 2.8's route marshalling (`kong/router.lua`, Router.new and its
/// marshall_route): a route set becomes one marshalled route per (route,
/// path), each carrying its match_rules bits, match_weight, submatch_weight,
/// max_uri_length and normalised host / header / uri / method / sni rules,
/// sorted as sort_routes sorts them. Also the request context both matchers
/// classify and the per-route match predicate they share. Both
/// reference_matcher and traditional_router build on this; they differ only
/// in how they find candidates (plain scans versus Kong's indexes).

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <functional>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "models/router/regex.hpp"
#include "models/router/route.hpp"
#include "models/router/view_table.hpp"

namespace gwsim::router {

/// Kong's MATCH_RULES bits. A route's category is the OR of the rules it
/// uses; categories are tried by number of rules, then by bit value, so with
/// equal counts host > header > uri > method > sni.
inline constexpr std::uint32_t rule_host = 0x40;
inline constexpr std::uint32_t rule_header = 0x20;
inline constexpr std::uint32_t rule_uri = 0x10;
inline constexpr std::uint32_t rule_method = 0x08;
inline constexpr std::uint32_t rule_sni = 0x04;

/// Kong's MATCH_SUBRULES, compared as one number (higher first). Note that
/// a wildcard host with a port (4) outranks plain-hosts-only (2), which
/// outranks a regex path (1).
inline constexpr std::uint32_t sub_regex_uri = 0x01;
inline constexpr std::uint32_t sub_plain_hosts_only = 0x02;
inline constexpr std::uint32_t sub_wildcard_host_port = 0x04;

/// ngx.req.get_headers(100): later header lines are not seen by the router.
inline constexpr std::size_t max_request_headers = 100;

/// Hash for string-keyed unordered containers that also accepts
/// std::string_view (C++20 heterogeneous lookup), so a lookup with a view
/// into a request builds no std::string.
struct string_hash {
  using is_transparent = void;
  [[nodiscard]] std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
/// A std::string-keyed hash map searchable with std::string_view.
template <class V>
using string_map = std::unordered_map<std::string, V, string_hash, std::equal_to<>>;
/// A std::string hash set searchable with std::string_view.
using string_set = std::unordered_set<std::string, string_hash, std::equal_to<>>;


/// Kong matches its router's regexes with `ngx.re.find(..., "ajo")`; the
/// `o` flag caches each compiled pattern, keyed by its text, in a cache per
/// worker process that outlives router rebuilds (lua-resty-core's
/// resty.core.regex), so a rebuild does not compile again the patterns the
/// cache still holds. Kong compiles a pattern when a match first needs it;
/// here a build parses each pattern (refusing a bad one at once) and the
/// JIT compilation, most of the cost, waits for the pattern's first match
/// (see regex). This is that cache, shared by every router of the
/// process (thread-safe): it returns the compiled `pattern`, compiling it on
/// a miss. Like OpenResty's, it is an LRU cache (resty.lrucache) of at most
/// compiled_regex_cache_max_entries patterns: `lua_regex_cache_max_entries`,
/// whose default, 1024, is what Kong 2.8 runs with (Kong only raised it, to
/// 8192, in 3.1). A route set with more distinct patterns than that cycles
/// through the cache and recompiles at every rebuild, as Kong's workers
/// recompile them (at match time there). A regex lives as long as the cache
/// or a router holds it. Throws std::invalid_argument as regex's constructor
/// does.
inline constexpr std::size_t compiled_regex_cache_max_entries = 1024;
[[nodiscard]] std::shared_ptr<const regex> compiled_regex(std::string_view pattern);
/// Patterns in the process-wide cache (for tests).
[[nodiscard]] std::size_t compiled_regex_cache_size();
/// regex::alternation(patterns) from a process-wide cache keyed by the
/// member patterns, an LRU cache bounded the same way (at most
/// compiled_regex_cache_max_entries alternations). The alternations are this model's own way
/// of running Kong's in-order regex scan in one call (Kong compiles no such
/// pattern), so caching them across rebuilds keeps their compile cost, which
/// Kong does not pay, out of rebuilds of an unchanged route set. Null when
/// the patterns cannot be combined.
[[nodiscard]] std::shared_ptr<const regex> compiled_alternation(const std::vector<std::string_view>& patterns);

/// A router's hold on a compiled pattern: shared with the process-wide
/// cache, but move-only, so a router holding entries that point into its
/// own routes cannot be copied by accident.
class held_regex {
 public:
  explicit held_regex(std::shared_ptr<const regex> re) noexcept : re_(std::move(re)) {}
  held_regex(held_regex&&) noexcept = default;
  held_regex& operator=(held_regex&&) noexcept = default;
  held_regex(const held_regex&) = delete;
  held_regex& operator=(const held_regex&) = delete;
  ~held_regex() = default;
  [[nodiscard]] const regex* get() const noexcept { return re_.get(); }
  [[nodiscard]] const regex* operator->() const noexcept { return re_.get(); }
  [[nodiscard]] const regex& operator*() const noexcept { return *re_; }

 private:
  std::shared_ptr<const regex> re_;
};

/// Compiled patterns, one per distinct pattern, keyed by a view of the
/// regex's own pattern(). The map holds them (shared with the process-wide
/// compiled_regex()), rules point into it, so it must outlive (and move
/// together with) the marshalled routes. Moving the map keeps every regex at
/// its address.
using regex_cache = std::unordered_map<std::string_view, held_regex>;

/// A vector of trivially copyable elements keeping up to N of them inside
/// the object (most rules lists have one or two elements), so a marshalled
/// route needs no heap block for them.
template <class T, std::size_t N>
class small_vector {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  small_vector() = default;
  small_vector(const small_vector& o) { append(o.begin(), o.end()); }
  small_vector(small_vector&& o) noexcept { take(o); }
  small_vector& operator=(const small_vector& o) {
    if (this != &o) {
      size_ = 0;
      append(o.begin(), o.end());
    }
    return *this;
  }
  small_vector& operator=(small_vector&& o) noexcept {
    if (this != &o) {
      delete[] heap_;
      take(o);
    }
    return *this;
  }
  ~small_vector() { delete[] heap_; }

  [[nodiscard]] T* data() noexcept { return heap_ != nullptr ? heap_ : inline_.data(); }
  [[nodiscard]] const T* data() const noexcept { return heap_ != nullptr ? heap_ : inline_.data(); }
  [[nodiscard]] T* begin() noexcept { return data(); }
  [[nodiscard]] T* end() noexcept { return data() + size_; }
  [[nodiscard]] const T* begin() const noexcept { return data(); }
  [[nodiscard]] const T* end() const noexcept { return data() + size_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] T& operator[](std::size_t i) noexcept { return data()[i]; }
  [[nodiscard]] const T& operator[](std::size_t i) const noexcept { return data()[i]; }
  [[nodiscard]] const T& front() const noexcept { return data()[0]; }
  [[nodiscard]] const T& back() const noexcept { return data()[size_ - 1]; }
  void reserve(std::size_t n) {
    if (n > capacity_) {
      grow(n);
    }
  }
  void push_back(const T& x) {
    if (size_ == capacity_) {
      grow(2 * capacity_);
    }
    data()[size_++] = x;
  }
  /// Bytes of the heap block, when the elements outgrew the object.
  [[nodiscard]] std::size_t heap_bytes() const noexcept { return heap_ != nullptr ? capacity_ * sizeof(T) : 0; }

 private:
  void grow(std::size_t n) {
    T* block = new T[n];
    std::copy(begin(), end(), block);
    delete[] heap_;
    heap_ = block;
    capacity_ = static_cast<std::uint32_t>(n);
  }
  void append(const T* first, const T* last) {
    reserve(size_ + static_cast<std::size_t>(last - first));
    std::copy(first, last, end());
    size_ += static_cast<std::uint32_t>(last - first);
  }
  void take(small_vector& o) noexcept {
    heap_ = std::exchange(o.heap_, nullptr);
    size_ = std::exchange(o.size_, 0);
    capacity_ = std::exchange(o.capacity_, static_cast<std::uint32_t>(N));
    if (heap_ == nullptr) {
      inline_ = o.inline_;
    }
  }

  T* heap_ = nullptr;
  std::uint32_t size_ = 0;
  std::uint32_t capacity_ = N;
  std::array<T, N> inline_{};
};

/// Host, uri, method and SNI values are views: into the route the entry
/// was marshalled from (which must outlive the entry and keep its address),
/// or, for a method that is not upper-case as written, into a table of
/// upper-cased method names that lives for the process.
struct host_rule {
  std::string_view value;
  const regex* wildcard = nullptr;  ///< null for a plain host
  std::uint64_t hash = 0;           ///< view_table::hash(value), computed once while marshalling
};
struct header_rule {
  std::string name;                 ///< lower-cased
  std::vector<std::string> values;  ///< lower-cased
};
struct uri_rule {
  std::string_view value;
  const regex* re = nullptr;  ///< null for a prefix
  std::uint64_t hash = 0;     ///< view_table::hash(value), computed once while marshalling
};

/// One entry per (route, path): Kong splits a route with several paths
/// into one marshalled route per path before sorting (Router.new).
struct marshalled_route {
  std::uint32_t route_index = 0;  ///< into the route set it was built from
  std::uint32_t path_index = 0;   ///< which of the route's paths this entry carries
  std::uint32_t match_rules = 0;
  int match_weight = 0;
  std::uint32_t submatch_weight = 0;
  std::size_t max_uri_length = 0;
  small_vector<host_rule, 2> hosts;
  std::vector<header_rule> headers;
  small_vector<uri_rule, 1> uris;
  small_vector<std::string_view, 2> methods;  ///< upper-cased, unique
  small_vector<std::string_view, 1> snis;     ///< unique
};

/// Marshals every route of `routes` (split per path) and returns the entries
/// in Kong's sort_routes order; the entries view the routes' strings, so
/// `routes` must outlive them at the same address. Regexes (path regexes
/// and wildcard-host patterns) are compiled into `regexes`, reusing a
/// pattern already there (or in the process-wide compiled_regex() cache).
/// Throws std::invalid_argument for a route with no matching field at all or
/// with a pattern that does not compile (the message names the route id and
/// the pattern).
[[nodiscard]] std::vector<marshalled_route> marshall_routes(std::span<const route> routes, regex_cache& regexes);
[[nodiscard]] inline std::vector<marshalled_route> marshall_routes(const std::vector<route>& routes,
                                                                   regex_cache& regexes) {
  return marshall_routes(std::span<const route>(routes), regexes);
}

/// sort_routes' order, a strict weak order: submatch_weight desc, then
/// header count desc, then (only for regex-path routes) regex_priority desc,
/// then max_uri_length desc, then created_at asc. Kong uses table.sort, which
/// is not stable, so full ties have no defined order there; here they are
/// broken by route id, then by the path's position in the route, so the
/// order depends only on the route set, never on the order routes were
/// given or added (what incremental and sharded routers need to agree with
/// a fresh build). `ra` and `rb` are the routes `a` and `b` come from.
[[nodiscard]] inline bool sorts_before(const marshalled_route& a, const route& ra, const marshalled_route& b,
                                       const route& rb) noexcept {
  if (a.submatch_weight != b.submatch_weight) {
    return a.submatch_weight > b.submatch_weight;
  }
  if (a.headers.size() != b.headers.size()) {
    return a.headers.size() > b.headers.size();
  }
  if ((a.submatch_weight & sub_regex_uri) != 0 && ra.regex_priority != rb.regex_priority) {
    return ra.regex_priority > rb.regex_priority;
  }
  if (a.max_uri_length != b.max_uri_length) {
    return a.max_uri_length > b.max_uri_length;
  }
  if (ra.created_at != rb.created_at) {
    return ra.created_at < rb.created_at;
  }
  if (ra.id != rb.id) {
    return ra.id < rb.id;
  }
  return a.path_index < b.path_index;
}

/// Categories: more rules first, then higher bit pattern (sort_categories).
[[nodiscard]] constexpr bool category_precedes(int match_weight_a, std::uint32_t bits_a, int match_weight_b,
                                               std::uint32_t bits_b) noexcept {
  if (match_weight_a != match_weight_b) {
    return match_weight_a > match_weight_b;
  }
  return bits_a > bits_b;
}

/// A string a request hit while it was classified, or none: a view that can
/// be empty yet present, assignable from a view or from a pointer to a
/// std::string (null meaning none).
class hit_string {
 public:
  hit_string() = default;
  hit_string(std::nullptr_t) noexcept {}  // NOLINT(google-explicit-constructor)
  hit_string(const std::string* s) noexcept  // NOLINT(google-explicit-constructor)
      : value_(s != nullptr ? std::string_view(*s) : std::string_view()), present_(s != nullptr) {}
  hit_string(std::string_view v) noexcept : value_(v), present_(true) {}  // NOLINT(google-explicit-constructor)
  [[nodiscard]] std::string_view operator*() const noexcept { return value_; }
  [[nodiscard]] const std::string_view* operator->() const noexcept { return &value_; }
  explicit operator bool() const noexcept { return present_; }
  friend bool operator==(const hit_string& h, std::nullptr_t) noexcept { return !h.present_; }
  /// Both absent, or both present with equal text.
  friend bool operator==(const hit_string& a, const hit_string& b) noexcept {
    return a.present_ == b.present_ && a.value_ == b.value_;
  }

 private:
  std::string_view value_{};
  bool present_ = false;
};

/// A request as the router compares it, plus the hits found while
/// classifying it (find_route). The hits view the routers' strings.
struct match_context {
  std::string method;                                                     ///< upper-cased
  std::string_view path;                                                  ///< as given
  std::string_view raw_host;                                              ///< as given
  split_host host;                                                        ///< with the scheme's default port
  std::vector<std::pair<std::string, std::vector<std::string>>> headers;  ///< lower-cased names
  std::string_view sni;
  hit_string hit_host;    ///< wildcard host value that matched
  hit_string hit_header;  ///< first indexed header name present
  hit_string hit_uri;     ///< regex/plain/prefix value that matched

  [[nodiscard]] const std::vector<std::string>* header(const std::string& name) const {
    for (const auto& [n, values] : headers) {
      if (n == name) {
        return &values;
      }
    }
    return nullptr;
  }
};

/// The context of `req` written into `ctx` (reusing its buffers, so a
/// matcher that keeps one context per thread allocates nothing once warm),
/// keeping only request headers whose lower-cased name satisfies `wanted`
/// (a matcher may drop names no route looks at). The hits are reset.
template <class HeaderFilter>
void fill_match_context(const request& req, const HeaderFilter& wanted, match_context& ctx) {
  ctx.method.assign(req.method);
  for (char& c : ctx.method) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  ctx.path = req.path;
  ctx.raw_host = req.host;
  split_port(req.host, req.scheme == "https" ? "443" : "80", ctx.host);
  ctx.sni = req.sni;
  ctx.hit_host = nullptr;
  ctx.hit_header = nullptr;
  ctx.hit_uri = nullptr;
  ctx.headers.clear();
  /// Request header names are case-insensitive (nginx hands them over
  /// lower-cased); repeated headers give several values; the Host header is
  /// not a header rule target.
  const std::size_t n_headers = std::min(req.headers.size(), max_request_headers);
  for (std::size_t i = 0; i < n_headers; ++i) {
    std::string name = ascii_lower(req.headers[i].first);
    if (name == "host" || !wanted(name)) {
      continue;
    }
    std::string value = ascii_lower(req.headers[i].second);
    auto it = std::find_if(ctx.headers.begin(), ctx.headers.end(), [&](const auto& h) { return h.first == name; });
    if (it == ctx.headers.end()) {
      ctx.headers.push_back({std::move(name), {std::move(value)}});
    } else {
      it->second.push_back(std::move(value));
    }
  }
}

/// The context of `req` as a new object (see fill_match_context()).
template <class HeaderFilter>
[[nodiscard]] match_context make_match_context(const request& req, const HeaderFilter& wanted) {
  match_context ctx;
  fill_match_context(req, wanted, ctx);
  return ctx;
}

/// Whether the request of `ctx` satisfies every rule of `e` except its paths
/// (for an entry whose path is known to match). `wildcard(h, host_with_port)`
/// tests a wildcard host rule, so a caller can memoise those answers. With
/// `method_known`, the caller has already established that the method rule
/// (if any) holds, and the route's method strings are not read.
template <class WildcardTest>
[[nodiscard]] inline bool matches_except_path(const marshalled_route& e, const match_context& ctx,
                                              WildcardTest&& wildcard, bool method_known = false) {
  /// Host: a plain host equal to the Host header as sent or to the host
  /// without its port; else a wildcard matching the host with port (the
  /// scheme's default port when none was sent). Comparison is
  /// case-sensitive: 2.8 lower-cases neither side.
  if ((e.match_rules & rule_host) != 0) {
    const std::string_view req_host = ctx.hit_host != nullptr ? std::string_view(*ctx.hit_host) : ctx.raw_host;
    bool ok = false;
    for (const auto& h : e.hosts) {
      if (h.wildcard == nullptr && (h.value == req_host || h.value == ctx.host.host_no_port)) {
        ok = true;
        break;
      }
    }
    if (!ok) {
      for (const auto& h : e.hosts) {
        if (h.wildcard != nullptr && wildcard(h, ctx.host.host_with_port)) {
          ok = true;
          break;
        }
      }
    }
    if (!ok) {
      return false;
    }
  }

  /// Headers: every header rule needs one request value (of that name,
  /// lower-cased) equal to one of its lower-cased values.
  for (const auto& h : e.headers) {
    const auto* values = ctx.header(h.name);
    if (values == nullptr) {
      return false;
    }
    const bool ok = std::any_of(values->begin(), values->end(), [&h](const std::string& v) {
      return std::find(h.values.begin(), h.values.end(), v) != h.values.end();
    });
    if (!ok) {
      return false;
    }
  }

  if (!method_known && (e.match_rules & rule_method) != 0 &&
      std::find(e.methods.begin(), e.methods.end(), ctx.method) == e.methods.end()) {
    return false;
  }
  if ((e.match_rules & rule_sni) != 0 && std::find(e.snis.begin(), e.snis.end(), ctx.sni) == e.snis.end()) {
    return false;
  }
  return true;
}

/// Whether the request of `ctx` satisfies every rule of `e` (the per-route
/// test of find_route, after the request has been classified).
/// Defined here so the matchers' candidate loops can inline it.
[[nodiscard]] inline bool matches(const marshalled_route& e, const match_context& ctx) {
  const bool others = matches_except_path(e, ctx, [](const host_rule& h, std::string_view host_with_port) {
    return h.wildcard->matches_prefix(host_with_port);
  });
  if (!others) {
    return false;
  }
  /// Paths: a regex matches anchored at the start; a prefix is a byte prefix.
  if ((e.match_rules & rule_uri) == 0) {
    return true;
  }
  return std::any_of(e.uris.begin(), e.uris.end(), [&ctx](const uri_rule& u) {
    return u.re != nullptr ? u.re->matches_prefix(ctx.path) : ctx.path.starts_with(u.value);
  });
}

}  // namespace gwsim::router

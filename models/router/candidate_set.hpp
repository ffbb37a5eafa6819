#pragma once
/// An updatable set of candidate route entries, ordered by Kong's precedence,
/// from which the updatable routers (incremental_router, sharded_router) draw
/// the entries that can match a request path.
///
/// One compressed trie over path bytes holds every key: an entry with a
/// prefix path sits on the node of its prefix; an entry with a regex path
/// sits on the node of each literal prefix of the regex
/// (regex_literal_prefixes(): every path the regex matches starts with one
/// of them), in a second list beside the prefix entries; entries without a
/// path sit in a side list. So one walk down the request path finds both the
/// prefix keys and the regex literals the path starts with. Each place
/// splits its entries by plain host (host_split_set), so a request sees only
/// the lists of its own host besides the general ones.
///
/// Every list is a flat vector sorted by the entries' precedence keys
/// (category, then Kong's sort_routes order, as integers: see
/// precedence_key), so a matcher merges the few contiguous lists a path
/// selects and stops at the first winner instead of sorting candidates.
/// Insertion and removal cost O(|prefix| + log k + k) for k entries sharing
/// the list (a binary search and a move of the list's tail, k small words);
/// removal prunes empty leaves and merges a node left with one child and no
/// entries into that child, so the trie only holds live keys.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "models/router/marshalled_route.hpp"
#include "models/router/route.hpp"

namespace gwsim::router {

/// Kong's category order as one number, smaller first: more rules first,
/// then the higher bit pattern (sort_categories, see category_precedes()).
/// The match weight of a category is the number of its rule bits.
[[nodiscard]] constexpr std::uint32_t category_rank(std::uint32_t bits) noexcept {
  return (static_cast<std::uint32_t>(8 - std::popcount(bits)) << 8U) | (0xFFU - (bits & 0xFFU));
}

/// Kong's precedence between entries of possibly different categories as
/// four integers compared in order (smaller first): the category rank, then
/// sorts_before's fields (submatch_weight desc, header count desc, for regex
/// paths regex_priority desc, max_uri_length desc, created_at asc), then the
/// route id and the path position that break full ties. Header counts
/// beyond 2^17 - 1 compare as equal (no real route comes near).
struct precedence_key {
  std::array<std::uint64_t, 4> w{};
  [[nodiscard]] friend bool operator<(const precedence_key& a, const precedence_key& b) noexcept {
    if (a.w[0] != b.w[0]) {
      return a.w[0] < b.w[0];
    }
    if (a.w[1] != b.w[1]) {
      return a.w[1] < b.w[1];
    }
    if (a.w[2] != b.w[2]) {
      return a.w[2] < b.w[2];
    }
    return a.w[3] < b.w[3];
  }
  [[nodiscard]] friend bool operator==(const precedence_key&, const precedence_key&) noexcept = default;
};

/// The key of entry `m` of route `r`, in category `rank` (category_rank()).
[[nodiscard]] precedence_key make_precedence_key(const marshalled_route& m, const route& r,
                                                 std::uint32_t rank) noexcept;

/// The bit of a method name in method filters (a one-bit Bloom filter).
[[nodiscard]] inline std::uint32_t method_bit(std::string_view method) noexcept {
  return std::uint32_t{1} << (std::hash<std::string_view>{}(method) & 31U);
}
/// The bit of a host whose view_table::hash() is `hash` in host filters.
[[nodiscard]] constexpr std::uint32_t host_bit(std::uint64_t hash) noexcept {
  return std::uint32_t{1} << ((hash >> 32U) & 31U);
}

/// One marshalled entry (a route split per path, as Kong splits it) at a
/// stable address, with the route it comes from, its category rank and its
/// precedence key. `regex_id` is the dense id route_index gives the entry's
/// regex path value (no_id without one), so a match can memoise regex
/// answers in a flat array; `wildcard_id` likewise names the entry's only
/// wildcard host (no_id without one, many_wildcards with several);
/// `host_filter` is the OR of its plain hosts' host_bit()s (every bit
/// without a host rule) and `method_filter` the OR of its methods'
/// method_bit()s (every bit without a method rule). With these copied into
/// its slots, most entries that cannot match a request are rejected
/// without reading them.
struct indexed_entry {
  static constexpr std::uint32_t no_id = UINT32_MAX;
  static constexpr std::uint32_t many_wildcards = UINT32_MAX - 1;
  marshalled_route m;
  const route* r = nullptr;
  std::uint32_t category_rank = 0;
  precedence_key key;
  std::uint32_t regex_id = no_id;
  std::uint32_t wildcard_id = no_id;
  std::uint32_t host_filter = UINT32_MAX;
  std::uint32_t method_filter = UINT32_MAX;
};

/// Kong's precedence between entries (a total order).
struct precedence_less {
  [[nodiscard]] bool operator()(const indexed_entry* a, const indexed_entry* b) const noexcept {
    return a->key < b->key;
  }
};

/// An entry with its key and filters copied beside it, so merging lists
/// compares keys, and rejects most candidates, without reading the entries
/// (each a few cache lines elsewhere in memory).
struct entry_slot {
  precedence_key key;
  const indexed_entry* e = nullptr;
  std::uint32_t regex_id = indexed_entry::no_id;
  std::uint32_t wildcard_id = indexed_entry::no_id;
  std::uint32_t host_filter = UINT32_MAX;
  std::uint32_t method_filter = UINT32_MAX;
  /// The category rank, read from the key.
  [[nodiscard]] std::uint32_t category_rank() const noexcept { return static_cast<std::uint32_t>(key.w[0] >> 52U); }
};

/// A contiguous run of slots in precedence order.
struct entry_range {
  const entry_slot* begin = nullptr;
  const entry_slot* end = nullptr;
};

/// Entries in precedence order, as one sorted vector.
class entry_list {
 public:
  /// Inserts `e` at its place (O(log k + k)).
  void insert(const indexed_entry* e);
  /// Whether `e` was present (and is now removed).
  bool erase(const indexed_entry* e);
  [[nodiscard]] bool empty() const noexcept { return slots_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return slots_.size(); }
  [[nodiscard]] const indexed_entry* front() const noexcept { return slots_.front().e; }
  [[nodiscard]] entry_range range() const noexcept { return {slots_.data(), slots_.data() + slots_.size()}; }
  /// Heap bytes: the vector's capacity.
  [[nodiscard]] std::size_t bytes() const noexcept { return slots_.capacity() * sizeof(entry_slot); }

 private:
  std::vector<entry_slot> slots_;
};

/// The request's host as the candidate lists are split by it: the Host
/// header as sent and the host without port, with their view_table hashes.
struct host_probe {
  std::string_view raw;
  std::uint64_t raw_hash = 0;
  std::string_view no_port;
  std::uint64_t no_port_hash = 0;
  /// Every list, whatever its host (no probe).
  bool all_hosts = false;
};

/// The entries of one key (a prefix, a regex literal, or "no path"), split
/// by plain host: an entry whose hosts are all plain can match only a
/// request carrying one of them, so it is filed once per host and a request
/// looks at its own host's lists only; every other entry is general. The
/// host lists are a vector sorted by (hash, host), found in a parallel array
/// of their hashes (compact, searched from the place a hash's value
/// predicts) with the request's precomputed hashes.
struct host_split_set {
  struct host_list {
    std::uint64_t hash = 0;
    std::string host;
    entry_list entries;
  };
  entry_list general;
  std::vector<host_list> by_host;
  std::vector<std::uint64_t> hashes;  ///< hashes[i] == by_host[i].hash

  void insert(const indexed_entry* e);
  /// Whether `e` was present.
  bool erase(const indexed_entry* e);
  [[nodiscard]] bool empty() const noexcept { return general.empty() && by_host.empty(); }
  /// Appends the non-empty lists a request with host `h` can match: the
  /// general list and the host lists whose hash is that of h.raw or
  /// h.no_port (a list of another host with the same hash only adds
  /// candidates that fail their host test); every list when h.all_hosts.
  void collect(const host_probe& h, std::vector<entry_range>& out) const;
  [[nodiscard]] std::size_t bytes() const;

 private:
  /// The first index whose hash is not below `hash`.
  [[nodiscard]] std::size_t lower(std::uint64_t hash) const noexcept;
  [[nodiscard]] const host_list* find(std::uint64_t hash, std::string_view host) const noexcept;
};

class candidate_set {
 public:
  candidate_set() = default;
  candidate_set(const candidate_set&) = delete;
  candidate_set& operator=(const candidate_set&) = delete;
  candidate_set(candidate_set&&) = default;
  candidate_set& operator=(candidate_set&&) = default;
  ~candidate_set() = default;

  /// Adds `e` (which must stay at its address until erased). An entry carries
  /// at most one path: its prefix decides the trie node; a regex path puts it
  /// on the nodes of its literal prefixes; no path puts it in the side list.
  void insert(const indexed_entry& e);
  /// Removes `e`; an entry not present is ignored.
  void erase(const indexed_entry& e);
  /// Removes every entry and trie node (the root stays).
  void clear() noexcept;

  /// Appends to `out` every non-empty list whose entries can match `path`:
  /// the prefix entries of the trie nodes whose prefix is a prefix of `path`
  /// (shortest first), the regex entries under a literal prefix of `path`
  /// and the entries without a path. An entry may appear in several lists
  /// (one per literal). Returns the longest stored prefix of `path` (a view
  /// into `path`), or none.
  hit_string collect(std::string_view path, std::vector<entry_range>& out) const {
    host_probe all;
    all.all_hosts = true;
    return collect(path, all, out);
  }
  /// The same for a request with host `h`: the lists of entries whose hosts
  /// are all plain and include neither h.raw nor h.no_port are left out (they
  /// cannot match).
  hit_string collect(std::string_view path, const host_probe& h, std::vector<entry_range>& out) const;
  /// The longest stored prefix of `path` (a view into it), or none: a walk
  /// without lists.
  [[nodiscard]] hit_string longest_prefix(std::string_view path) const;

  /// Entries held.
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// Trie nodes, including the root.
  [[nodiscard]] std::size_t node_count() const noexcept { return nodes_; }
  /// Estimated heap bytes, in the style of byte_estimates.hpp: each list's
  /// vector capacity, each host list's host string, each trie node with its
  /// label and child vector.
  [[nodiscard]] std::size_t bytes() const;

 private:
  /// A node keeps what a walk reads together: the label, the children's
  /// first bytes and the children themselves (held in place, one array per
  /// node, so a step down reads no child pointer); its entries sit behind
  /// pointers that are null while empty, so passing through a node without
  /// entries reads no list. Nothing outside the trie points at a node, so
  /// nodes may move when a sibling comes or goes.
  struct node {
    std::string label;        ///< bytes on the edge into this node
    std::string first_bytes;  ///< first_bytes[i] == children[i].label[0]
    std::vector<node> children;
    std::unique_ptr<host_split_set> entries;        ///< prefix entries whose prefix ends here
    std::unique_ptr<host_split_set> regex_entries;  ///< regex entries with a literal prefix ending here
    [[nodiscard]] bool empty() const noexcept { return !entries && !regex_entries; }
    /// The child whose label starts with `c`, or null.
    [[nodiscard]] const node* child(char c) const noexcept {
      for (std::size_t i = 0; i < first_bytes.size(); ++i) {
        if (first_bytes[i] == c) {
          return &children[i];
        }
      }
      return nullptr;
    }
  };

  /// Calls visit(node) for every node on `path`'s way down the trie, root
  /// first; returns the longest prefix of `path` whose node holds prefix
  /// entries.
  template <class Visit>
  hit_string walk(std::string_view path, Visit&& visit) const;
  /// The node of `key`, created (splitting edges) when absent.
  node& node_of(std::string_view key);
  /// Removes `e` from the node of `key` (its regex list when `regex`),
  /// pruning nodes left empty; whether `e` was present.
  bool erase_below(node& n, std::string_view rest, const indexed_entry* e, bool regex);
  static std::size_t node_bytes(const node& n);

  node root_;
  host_split_set no_uri_entries_;
  std::size_t size_ = 0;
  std::size_t nodes_ = 1;
};

}  // namespace gwsim::router

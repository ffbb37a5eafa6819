#pragma once
/// An updatable set of candidate route entries, ordered by Kong's precedence,
/// from which the updatable routers (incremental_router, sharded_router) draw
/// the entries that can match a request path.
///
/// Entries with one prefix path sit on the node of a compressed trie over the
/// prefix bytes; entries with a regex path sit in one set per literal prefix
/// of the regex (regex_literal_prefixes(): every path the regex matches
/// starts with one of them), found by looking the path's own prefixes of
/// those lengths up; entries without a path sit in a side set. Each of these
/// places splits its entries by plain host (host_split_set), so a request
/// sees only the sets of its own host besides the general ones. Every set is
/// ordered by precedence_less (category, then
/// Kong's sort_routes order), so a matcher can merge the few sets a path
/// selects and stop at the first winner instead of sorting candidates.
/// Insertion and removal cost O(|prefix| + log k) for k entries sharing the
/// set; removal prunes empty leaves and merges a node left with one child and
/// no entries into that child, so the trie only holds live prefixes.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
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

/// One marshalled entry (a route split per path, as Kong splits it) at a
/// stable address, with the route it comes from and its category rank.
struct indexed_entry {
  marshalled_route m;
  const route* r = nullptr;
  std::uint32_t category_rank = 0;
};

/// Kong's precedence between entries of possibly different categories: the
/// category order first, then sorts_before (a total order: ties are broken
/// by route id and path position).
struct precedence_less {
  [[nodiscard]] bool operator()(const indexed_entry* a, const indexed_entry* b) const noexcept {
    if (a->category_rank != b->category_rank) {
      return a->category_rank < b->category_rank;
    }
    return sorts_before(a->m, *a->r, b->m, *b->r);
  }
};

/// Entries in precedence order.
using entry_set = std::set<const indexed_entry*, precedence_less>;

/// Hash for string-keyed maps looked up with string_views (no allocation).
struct string_view_hash {
  using is_transparent = void;
  [[nodiscard]] std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

/// Keys of a literal-prefix table: for each literal, its payload; plus the
/// distinct literal lengths (counted), so the prefixes of a string that are
/// keys are found with one lookup per distinct length.
template <class Payload>
struct literal_table {
  std::unordered_map<std::string, Payload, string_view_hash, std::equal_to<>> by_literal;
  std::map<std::size_t, std::size_t> lengths;

  /// The payload of `literal`, created empty when absent.
  Payload& at(const std::string& literal) {
    auto [it, fresh] = by_literal.try_emplace(literal);
    if (fresh) {
      ++lengths[literal.size()];
    }
    return it->second;
  }
  /// Drops `literal` when `empty(payload)`.
  template <class IsEmpty>
  void prune(const std::string& literal, const IsEmpty& empty) {
    const auto it = by_literal.find(literal);
    if (it == by_literal.end() || !empty(it->second)) {
      return;
    }
    by_literal.erase(it);
    const auto len = lengths.find(literal.size());
    if (len != lengths.end() && --len->second == 0) {
      lengths.erase(len);
    }
  }
  /// Calls f(payload) for each key that is a prefix of `s`, shortest first.
  template <class F>
  void for_each_prefix_of(std::string_view s, const F& f) const {
    for (const auto& [len, count] : lengths) {
      if (len > s.size()) {
        break;
      }
      const auto it = by_literal.find(s.substr(0, len));
      if (it != by_literal.end()) {
        f(it->second);
      }
    }
  }
  void clear() noexcept {
    by_literal.clear();
    lengths.clear();
  }
};

/// The entries of one key (a trie node, a regex literal, or "no path"),
/// split by plain host: an entry whose hosts are all plain can match only a
/// request carrying one of them, so it is filed once per host and a request
/// looks at its own host's sets only; every other entry is general.
struct host_split_set {
  entry_set general;
  std::map<std::string, entry_set, std::less<>> by_host;

  void insert(const indexed_entry* e);
  /// Whether `e` was present.
  bool erase(const indexed_entry* e);
  [[nodiscard]] bool empty() const noexcept { return general.empty() && by_host.empty(); }
  /// Any entry (for its path), or nullptr when empty.
  [[nodiscard]] const indexed_entry* any() const noexcept;
  /// Appends the non-empty sets a request with this host can match: the
  /// general set and those of `raw_host` and `host_no_port`; every set when
  /// `all_hosts`.
  void collect(std::string_view raw_host, std::string_view host_no_port, bool all_hosts,
               std::vector<const entry_set*>& out) const;
  [[nodiscard]] std::size_t bytes() const;
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
  /// at most one path: its prefix decides the trie node; a regex path or no
  /// path puts it in the matching side set.
  void insert(const indexed_entry& e);
  /// Removes `e`; an entry not present is ignored.
  void erase(const indexed_entry& e);
  /// Removes every entry and trie node (the root stays).
  void clear() noexcept;

  /// Appends to `out` every non-empty set whose entries can match `path`:
  /// the trie nodes whose prefix is a prefix of `path` (shortest first), the
  /// regex entries under a literal prefix of `path` and the entries without a
  /// path. An entry may appear in several sets (one per literal). Returns the longest
  /// stored prefix of `path` (a string of an entry), or nullptr.
  const std::string* collect(std::string_view path, std::vector<const entry_set*>& out) const {
    return collect(path, {}, {}, true, out);
  }
  /// The same for a request carrying `raw_host` (its Host header as sent)
  /// and `host_no_port`: the sets of entries whose hosts are all plain and
  /// include neither are left out (they cannot match).
  const std::string* collect(std::string_view path, std::string_view raw_host, std::string_view host_no_port,
                             std::vector<const entry_set*>& out) const {
    return collect(path, raw_host, host_no_port, false, out);
  }

  /// Entries held.
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// Trie nodes, including the root.
  [[nodiscard]] std::size_t node_count() const noexcept { return nodes_; }
  /// Estimated heap bytes, in the style of byte_estimates.hpp: one red-black
  /// tree node (pointer plus four words) per set element, each trie node
  /// with its label and child vector.
  [[nodiscard]] std::size_t bytes() const;

 private:
  struct node {
    std::string label;  ///< bytes on the edge into this node
    std::string first_bytes;  ///< first_bytes[i] == children[i]->label[0], scanned without pointer chasing
    std::vector<std::unique_ptr<node>> children;
    host_split_set entries;  ///< entries whose prefix ends here
  };

  const std::string* collect(std::string_view path, std::string_view raw_host, std::string_view host_no_port,
                             bool all_hosts, std::vector<const entry_set*>& out) const;

  bool erase_below(node& n, std::string_view rest, const indexed_entry* e);
  static std::size_t node_bytes(const node& n);

  node root_;
  literal_table<host_split_set> regex_entries_;
  host_split_set no_uri_entries_;
  std::size_t size_ = 0;
  std::size_t nodes_ = 1;
};

/// Estimated heap bytes of an entry set (one tree node per element).
[[nodiscard]] inline std::size_t entry_set_bytes(const entry_set& s) noexcept {
  return s.size() * (sizeof(const indexed_entry*) + 4 * sizeof(void*));
}

}  // namespace gwsim::router

#pragma once
/// A read-only compressed byte trie from string keys to lists of 32-bit
/// values, answering "which keys are prefixes of this string" in one walk
/// down the string. Routers use it to find the prefix paths a request path
/// starts with (the longest one is the last reported) and the regex paths
/// whose literal prefix (regex_literal_prefixes()) the path starts with.
///
/// Layout: one flat array of 24-byte nodes; a node's children are
/// contiguous and found by comparing a parallel array of their first label
/// bytes eight at a time; edge labels (compared a word at a time) live in one shared byte pool and the values of all
/// nodes in one shared array, so the whole index is five allocations.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gwsim::router {

class prefix_index {
 public:
  /// An empty index.
  prefix_index() = default;

  /// Indexes every (key, value) pair. The keys are copied (as trie labels);
  /// the values of one key are kept in the order given.
  explicit prefix_index(const std::vector<std::pair<std::string_view, std::uint32_t>>& items);

  /// Calls `f(values, key_length)` for every key that is a prefix of `s`
  /// (the empty key and `s` itself included), shortest key first; `values`
  /// are that key's values.
  template <class F>
  void for_each_prefix_of(std::string_view s, F&& f) const {
    if (nodes_.empty()) {
      return;
    }
    std::uint32_t cur = 0;
    std::size_t pos = 0;
    while (true) {
      const node& n = nodes_[cur];
      if (s.size() - pos < n.label_len || !same_bytes(s.data() + pos, pool_.data() + n.label_off, n.label_len, s.size() - pos)) {
        return;
      }
      pos += n.label_len;
      if (n.value_count != 0) {
        f(std::span<const std::uint32_t>(values_.data() + n.values_off, n.value_count), pos);
      }
      if (pos == s.size()) {
        return;
      }
      cur = find_child(n, static_cast<unsigned char>(s[pos]));
      if (cur == none) {
        return;
      }
    }
  }

  /// Trie nodes, the root included (0 for an index built from no keys).
  [[nodiscard]] std::size_t node_count() const noexcept { return nodes_.size(); }

  /// Heap bytes held: every array's capacity times its element size.
  [[nodiscard]] std::size_t bytes() const noexcept {
    return nodes_.capacity() * sizeof(node) + lead_.capacity() + pool_.capacity() +
           values_.capacity() * sizeof(std::uint32_t);
  }

 private:
  static constexpr std::uint32_t none = UINT32_MAX;

  struct node {
    std::uint32_t label_off = 0;   ///< into pool_
    std::uint32_t label_len = 0;   ///< bytes on the edge into this node
    std::uint32_t first_child = 0;
    std::uint32_t child_count = 0;
    std::uint32_t values_off = 0;  ///< into values_
    std::uint32_t value_count = 0;
  };

  struct builder;

  static std::uint64_t load8(const void* p) noexcept {
    std::uint64_t x = 0;
    std::memcpy(&x, p, 8);
    return x;
  }

  /// Whether the `avail` (>= n) bytes at `a` start with the n-byte label at
  /// `b` (pool_ is padded, so eight bytes can always be read from a label).
  /// Labels are mostly a few bytes: compared eight at a time, the last word
  /// masked, when the subject has eight bytes left to read.
  [[nodiscard]] static bool same_bytes(const char* a, const char* b, std::size_t n, std::size_t avail) noexcept {
    if constexpr (std::endian::native == std::endian::little) {
      while (n >= 8) {
        if (load8(a) != load8(b)) {
          return false;
        }
        a += 8;
        b += 8;
        n -= 8;
        avail -= 8;
      }
      if (n == 0) {
        return true;
      }
      if (avail >= 8) {
        const std::uint64_t mask = (std::uint64_t{1} << (8 * n)) - 1;
        return ((load8(a) ^ load8(b)) & mask) == 0;
      }
    }
    return std::memcmp(a, b, n) == 0;
  }

  /// The child of `n` whose label starts with `next`, or none. Children are
  /// sorted by that byte (unsigned): a long list (a fan-out node such as
  /// `/v1/`) is binary-searched down to a run of at most eight, and a run is
  /// compared eight lead bytes at once (lead_ is padded so a run can be read
  /// whole).
  [[nodiscard]] std::uint32_t find_child(const node& n, unsigned char next) const noexcept {
    const auto* lead = reinterpret_cast<const unsigned char*>(lead_.data());
    std::uint32_t lo = n.first_child;
    std::uint32_t hi = n.first_child + n.child_count;
    while (hi - lo > 8) {
      const std::uint32_t mid = lo + (hi - lo) / 2;
      if (lead[mid] <= next) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    if constexpr (std::endian::native == std::endian::little) {
      /// Bytes equal to `next` become zero and the classic zero-byte test
      /// marks them (a borrow can falsely mark a byte after a true zero,
      /// never one before it, so the lowest mark is right).
      constexpr std::uint64_t ones = 0x0101010101010101ULL;
      constexpr std::uint64_t highs = 0x8080808080808080ULL;
      const std::uint64_t x = load8(lead + lo) ^ (ones * next);
      std::uint64_t found = (x - ones) & ~x & highs;
      if (hi - lo < 8) {
        found &= (std::uint64_t{1} << (8 * (hi - lo))) - 1;
      }
      return found == 0 ? none : lo + static_cast<std::uint32_t>(std::countr_zero(found) / 8);
    } else {
      for (; lo < hi; ++lo) {
        if (lead[lo] == next) {
          return lo;
        }
      }
      return none;
    }
  }

  std::vector<node> nodes_;            ///< nodes_[0] is the root
  std::vector<char> lead_;             ///< per node: first byte of its label
  std::vector<char> pool_;             ///< all labels
  std::vector<std::uint32_t> values_;  ///< all values, grouped by node
};

}  // namespace gwsim::router

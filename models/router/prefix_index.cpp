#include "models/router/prefix_index.hpp"

#include <algorithm>
#include <numeric>

namespace gwsim::router {

/// Builds from the keys sorted (stably, so a key's values keep their order):
/// a sorted range of keys sharing `depth` bytes becomes one node whose label
/// runs to the longest prefix common to the whole range (that of its first
/// and last key, at most max_label bytes); keys ending there give the node's
/// values, and the rest split by their next byte into contiguous children.
struct prefix_index::builder {
  const std::vector<std::pair<std::string_view, std::uint32_t>>& items;
  std::vector<std::uint32_t> order;
  prefix_index& out;
  /// The key ranges of the children being built, a stack shared by every
  /// level (each node pushes its children's ranges and pops them when they
  /// are built), so the walk allocates no list per node.
  std::vector<std::pair<std::size_t, std::size_t>> ranges{};
  /// Per node, the keys ending there as (first position in `order`, count):
  /// they are consecutive in sort order. Their values are laid out in node
  /// order once every node exists.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> node_keys{};

  [[nodiscard]] std::string_view key(std::size_t i) const { return items[order[i]].first; }

  void build(std::size_t lo, std::size_t hi, std::size_t depth, std::uint32_t slot) {
    const std::string_view first = key(lo);
    const std::string_view last = key(hi - 1);
    std::size_t end = depth;
    const std::size_t limit = std::min({first.size(), last.size(), depth + max_label});
    while (end < limit && first[end] == last[end]) {
      ++end;
    }
    const std::size_t len = end - depth;
    node& n = out.nodes_[slot];
    n.label_off = static_cast<std::uint32_t>(out.pool_.size());
    n.label_len = static_cast<std::uint16_t>(len);
    std::memcpy(&n.head, first.data() + depth, std::min<std::size_t>(len, 8));
    out.pool_.insert(out.pool_.end(), first.begin() + static_cast<std::ptrdiff_t>(depth),
                     first.begin() + static_cast<std::ptrdiff_t>(end));
    out.lead_[slot] = len != 0 ? first[depth] : '\0';
    std::size_t i = lo;
    while (i < hi && key(i).size() == end) {
      ++i;
    }
    node_keys[slot] = {static_cast<std::uint32_t>(lo), static_cast<std::uint32_t>(i - lo)};

    const std::size_t from = ranges.size();
    while (i < hi) {
      std::size_t j = i + 1;
      while (j < hi && key(j)[end] == key(i)[end]) {
        ++j;
      }
      ranges.emplace_back(i, j);
      i = j;
    }
    const std::size_t children = ranges.size() - from;
    const auto first_child = static_cast<std::uint32_t>(out.nodes_.size());
    out.nodes_[slot].first_child = first_child;
    out.nodes_[slot].flags = static_cast<std::uint16_t>(children);
    out.nodes_.resize(out.nodes_.size() + children);
    out.lead_.resize(out.nodes_.size());
    node_keys.resize(out.nodes_.size());
    for (std::size_t g = 0; g < children; ++g) {
      const auto [child_lo, child_hi] = ranges[from + g];
      const std::uint32_t child = first_child + static_cast<std::uint32_t>(g);
      build(child_lo, child_hi, end, child);
      if (g < 8) {
        out.nodes_[slot].leads |= std::uint64_t{static_cast<unsigned char>(out.lead_[child])} << (8 * g);
      }
    }
    ranges.resize(from);
  }

  /// Every node's values: in the node when it has one, else in values_
  /// (their count, then the values).
  void lay_out_values() {
    for (std::size_t k = 0; k < out.nodes_.size(); ++k) {
      node& n = out.nodes_[k];
      const auto [at, count] = node_keys[k];
      if (count == 1) {
        n.flags |= one_value;
        n.values = items[order[at]].second;
      } else if (count > 1) {
        n.flags |= many_values;
        n.values = static_cast<std::uint32_t>(out.values_.size());
        out.values_.push_back(count);
        for (std::uint32_t v = at; v < at + count; ++v) {
          out.values_.push_back(items[order[v]].second);
        }
      }
    }
  }
};

prefix_index::prefix_index(const std::vector<std::pair<std::string_view, std::uint32_t>>& items) {
  if (items.empty()) {
    return;
  }
  builder b{items, std::vector<std::uint32_t>(items.size()), *this, {}, {}};
  {
    /// Sorted as (key, position) pairs, side by side (one indirection less
    /// per comparison than sorting positions); the position breaks ties, so
    /// a key's values keep their order.
    std::vector<std::pair<std::string_view, std::uint32_t>> sorted(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
      sorted[i] = {items[i].first, static_cast<std::uint32_t>(i)};
    }
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 0; i < sorted.size(); ++i) {
      b.order[i] = sorted[i].second;
    }
  }
  nodes_.resize(1);
  lead_.resize(1);
  b.node_keys.resize(1);
  b.build(0, items.size(), 0, 0);
  b.lay_out_values();
  /// Padding: label_matches() and find_child() read eight bytes at a time.
  lead_.resize(lead_.size() + 8, '\0');
  pool_.resize(pool_.size() + 8, '\0');
  nodes_.shrink_to_fit();
  lead_.shrink_to_fit();
  pool_.shrink_to_fit();
  values_.shrink_to_fit();
}

}  // namespace gwsim::router

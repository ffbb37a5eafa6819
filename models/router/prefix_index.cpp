#include "models/router/prefix_index.hpp"

#include <algorithm>
#include <numeric>

namespace gwsim::router {

/// Builds from the keys sorted (stably, so a key's values keep their order):
/// a sorted range of keys sharing `depth` bytes becomes one node whose label
/// runs to the longest prefix common to the whole range (that of its first
/// and last key); keys ending there give the node's values, and the rest
/// split by their next byte into contiguous children.
struct prefix_index::builder {
  const std::vector<std::pair<std::string_view, std::uint32_t>>& items;
  std::vector<std::uint32_t> order;
  prefix_index& out;
  /// The key ranges of the children being built, a stack shared by every
  /// level (each node pushes its children's ranges and pops them when they
  /// are built), so the walk allocates no list per node.
  std::vector<std::pair<std::size_t, std::size_t>> ranges{};

  [[nodiscard]] std::string_view key(std::size_t i) const { return items[order[i]].first; }

  void build(std::size_t lo, std::size_t hi, std::size_t depth, std::uint32_t slot) {
    const std::string_view first = key(lo);
    const std::string_view last = key(hi - 1);
    std::size_t end = depth;
    while (end < first.size() && end < last.size() && first[end] == last[end]) {
      ++end;
    }
    node& n = out.nodes_[slot];
    n.label_off = static_cast<std::uint32_t>(out.pool_.size());
    n.label_len = static_cast<std::uint32_t>(end - depth);
    out.pool_.insert(out.pool_.end(), first.begin() + static_cast<std::ptrdiff_t>(depth),
                     first.begin() + static_cast<std::ptrdiff_t>(end));
    out.lead_[slot] = n.label_len != 0 ? first[depth] : '\0';
    n.values_off = static_cast<std::uint32_t>(out.values_.size());
    std::size_t i = lo;
    while (i < hi && key(i).size() == end) {
      out.values_.push_back(items[order[i]].second);
      ++i;
    }
    n.value_count = static_cast<std::uint32_t>(out.values_.size() - n.values_off);

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
    out.nodes_[slot].child_count = static_cast<std::uint32_t>(children);
    out.nodes_.resize(out.nodes_.size() + children);
    out.lead_.resize(out.nodes_.size());
    for (std::size_t g = 0; g < children; ++g) {
      const auto [child_lo, child_hi] = ranges[from + g];
      build(child_lo, child_hi, end, first_child + static_cast<std::uint32_t>(g));
    }
    ranges.resize(from);
  }
};

prefix_index::prefix_index(const std::vector<std::pair<std::string_view, std::uint32_t>>& items) {
  if (items.empty()) {
    return;
  }
  builder b{items, std::vector<std::uint32_t>(items.size()), *this, {}};
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
  b.build(0, items.size(), 0, 0);
  /// Padding: same_bytes() and find_child() read eight bytes at a time.
  lead_.resize(lead_.size() + 8, '\0');
  pool_.resize(pool_.size() + 8, '\0');
  nodes_.shrink_to_fit();
  lead_.shrink_to_fit();
  pool_.shrink_to_fit();
  values_.shrink_to_fit();
}

}  // namespace gwsim::router

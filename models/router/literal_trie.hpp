#pragma once
/// An updatable compressed byte trie from literal strings to payloads,
/// answering "which keys are prefixes of this string" in one walk down the
/// string (route_index files its regex path values under their literal
/// prefixes in one). A node holds its edge label, the first bytes of its
/// children's labels, its children in place (one array per node, so a step
/// down reads no child pointer) and, for a key, its payload behind a
/// pointer, so payloads keep their address while nodes move and keys come
/// and go. Adding or removing a key costs O(|key|) plus a child-list update;
/// removal prunes nodes left without payload and children and folds a node
/// left with one child into it, so the trie only holds live keys.

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gwsim::router {

/// The node of `key` in a compressed byte trie rooted at `root`, created with
/// the nodes on its way when absent: a missing edge becomes a new child, an
/// edge that `key` leaves midway is split at the shared bytes. `Node` has
/// `label`, `first_bytes` (first_bytes[i] == children[i].label[0]) and
/// `children` held in place; `nodes` counts the nodes created. Shared by
/// literal_trie and candidate_set's trie.
template <class Node>
Node& trie_node_of(Node& root, std::string_view key, std::size_t& nodes) {
  Node* cur = &root;
  std::string_view rest = key;
  while (!rest.empty()) {
    const std::size_t slot = cur->first_bytes.find(rest[0]);
    if (slot == std::string::npos) {
      cur->children.emplace_back().label = std::string(rest);
      cur->first_bytes.push_back(rest[0]);
      ++nodes;
      return cur->children.back();
    }
    Node& c = cur->children[slot];
    const std::size_t limit = std::min(c.label.size(), rest.size());
    std::size_t common = 0;
    while (common < limit && c.label[common] == rest[common]) {
      ++common;
    }
    if (common < c.label.size()) {
      /// Split the edge: a new node takes the shared bytes.
      Node below = std::move(c);
      c = Node{};
      c.label = below.label.substr(0, common);
      below.label.erase(0, common);
      c.first_bytes.push_back(below.label[0]);
      c.children.push_back(std::move(below));
      ++nodes;
    }
    cur = &c;
    rest.remove_prefix(common);
  }
  return *cur;
}

template <class Payload>
class literal_trie {
 public:
  /// The payload of `key`, created (default-constructed) when absent.
  Payload& at(std::string_view key) {
    node* cur = &trie_node_of(root_, key, nodes_);
    if (!cur->payload) {
      cur->payload = std::make_unique<Payload>();
      ++size_;
    }
    return *cur->payload;
  }

  /// The payload of `key`, or null.
  [[nodiscard]] Payload* find(std::string_view key) noexcept {
    node* cur = &root_;
    std::string_view rest = key;
    while (!rest.empty()) {
      const std::size_t slot = cur->first_bytes.find(rest[0]);
      if (slot == std::string::npos || !rest.starts_with(cur->children[slot].label)) {
        return nullptr;
      }
      cur = &cur->children[slot];
      rest.remove_prefix(cur->label.size());
    }
    return cur->payload.get();
  }

  /// Drops `key` when its payload satisfies `empty`.
  template <class IsEmpty>
  void prune(std::string_view key, const IsEmpty& empty) {
    prune_below(root_, key, empty);
  }

  /// Calls f(payload) for every key that is a prefix of `s`, shortest first.
  template <class F>
  void for_each_prefix_of(std::string_view s, const F& f) const {
    const node* cur = &root_;
    std::size_t pos = 0;
    while (true) {
      if (cur->payload) {
        f(*cur->payload);
      }
      if (pos >= s.size()) {
        return;
      }
      const node* child = cur->child(s[pos]);
      if (child == nullptr) {
        return;
      }
      if (s.size() - pos < child->label.size()) {
        return;
      }
      for (std::size_t i = 0; i < child->label.size(); ++i) {  /// labels are short: no library call
        if (s[pos + i] != child->label[i]) {
          return;
        }
      }
      pos += child->label.size();
      cur = child;
    }
  }

  /// Calls f(payload) for every key.
  template <class F>
  void for_each(const F& f) const {
    visit(root_, f);
  }

  /// Keys held.
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// Nodes, including the root.
  [[nodiscard]] std::size_t node_count() const noexcept { return nodes_; }

  /// Estimated heap bytes of the trie itself (byte_estimates.hpp style):
  /// nodes, labels, child lists and payload objects; a payload's own heap
  /// blocks are the caller's to count (for_each()).
  [[nodiscard]] std::size_t bytes() const noexcept { return node_bytes(root_); }

  void clear() noexcept {
    root_ = node{};
    size_ = 0;
    nodes_ = 1;
  }

 private:
  struct node {
    std::string label;        ///< bytes on the edge into this node
    std::string first_bytes;  ///< first_bytes[i] == children[i].label[0]
    std::vector<node> children;  ///< in place: nothing outside points at a node
    std::unique_ptr<Payload> payload;
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

  template <class IsEmpty>
  void prune_below(node& n, std::string_view rest, const IsEmpty& empty) {
    if (rest.empty()) {
      if (n.payload && empty(*n.payload)) {
        n.payload.reset();
        --size_;
      }
      return;
    }
    const std::size_t slot = n.first_bytes.find(rest[0]);
    if (slot == std::string::npos || !rest.starts_with(n.children[slot].label)) {
      return;
    }
    node& child = n.children[slot];
    prune_below(child, rest.substr(child.label.size()), empty);
    if (child.payload) {
      return;
    }
    if (child.children.empty()) {
      n.children.erase(n.children.begin() + static_cast<std::ptrdiff_t>(slot));
      n.first_bytes.erase(slot, 1);
      --nodes_;
    } else if (child.children.size() == 1) {
      /// A pass-through node: fold it into its only child.
      node grandchild = std::move(child.children.front());
      grandchild.label.insert(0, child.label);
      child = std::move(grandchild);
      --nodes_;
    }
  }

  template <class F>
  static void visit(const node& n, const F& f) {
    if (n.payload) {
      f(*n.payload);
    }
    for (const auto& c : n.children) {
      visit(c, f);
    }
  }

  static std::size_t node_bytes(const node& n) noexcept {
    auto string_bytes = [](const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; };
    std::size_t b = string_bytes(n.label) + string_bytes(n.first_bytes) + n.children.capacity() * sizeof(node) +
                    (n.payload ? sizeof(Payload) : 0);
    for (const auto& c : n.children) {
      b += node_bytes(c);
    }
    return b;
  }

  node root_;
  std::size_t size_ = 0;
  std::size_t nodes_ = 1;
};

}  // namespace gwsim::router

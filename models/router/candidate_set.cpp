#include "models/router/candidate_set.hpp"

#include <algorithm>
#include <utility>

#include "models/router/byte_estimates.hpp"
#include "models/router/regex.hpp"

namespace gwsim::router {

void candidate_set::insert(const indexed_entry& e) {
  ++size_;
  if (e.m.uris.empty()) {
    no_uri_entries_.insert(&e);
    return;
  }
  const uri_rule& u = e.m.uris.front();
  if (u.re != nullptr) {
    for (const auto& literal : regex_literal_prefixes(u.value)) {
      regex_entries_.at(literal).insert(&e);
    }
    return;
  }
  node* cur = &root_;
  std::string_view rest = u.value;
  while (!rest.empty()) {
    const std::size_t slot = cur->first_bytes.find(rest[0]);
    if (slot == std::string::npos) {
      auto fresh = std::make_unique<node>();
      fresh->label = std::string(rest);
      cur->children.push_back(std::move(fresh));
      cur->first_bytes.push_back(rest[0]);
      ++nodes_;
      cur = cur->children.back().get();
      break;
    }
    auto it = cur->children.begin() + static_cast<std::ptrdiff_t>(slot);
    const std::string& label = (*it)->label;
    const std::size_t limit = std::min(label.size(), rest.size());
    std::size_t common = 0;
    while (common < limit && label[common] == rest[common]) {
      ++common;
    }
    if (common < label.size()) {
      /// Split the edge: a new node takes the shared bytes.
      auto mid = std::make_unique<node>();
      mid->label = label.substr(0, common);
      (*it)->label.erase(0, common);
      mid->first_bytes.push_back((*it)->label[0]);
      mid->children.push_back(std::move(*it));
      *it = std::move(mid);
      ++nodes_;
    }
    cur = it->get();
    rest.remove_prefix(common);
  }
  cur->entries.insert(&e);
}

bool candidate_set::erase_below(node& n, std::string_view rest, const indexed_entry* e) {
  if (rest.empty()) {
    return n.entries.erase(e) > 0;
  }
  const std::size_t slot = n.first_bytes.find(rest[0]);
  if (slot != std::string::npos) {
    const auto it = n.children.begin() + static_cast<std::ptrdiff_t>(slot);
    node& c = **it;
    if (!rest.starts_with(c.label)) {
      return false;
    }
    const bool found = erase_below(c, rest.substr(c.label.size()), e);
    if (found && c.entries.empty()) {
      if (c.children.empty()) {
        n.children.erase(it);
        n.first_bytes.erase(slot, 1);
        --nodes_;
      } else if (c.children.size() == 1) {
        /// A pass-through node: fold it into its only child.
        std::unique_ptr<node> grandchild = std::move(c.children.front());
        grandchild->label.insert(0, c.label);
        *it = std::move(grandchild);
        --nodes_;
      }
    }
    return found;
  }
  return false;
}

void candidate_set::erase(const indexed_entry& e) {
  bool found = false;
  if (e.m.uris.empty()) {
    found = no_uri_entries_.erase(&e) > 0;
  } else if (e.m.uris.front().re != nullptr) {
    for (const auto& literal : regex_literal_prefixes(e.m.uris.front().value)) {
      const auto it = regex_entries_.by_literal.find(literal);
      if (it != regex_entries_.by_literal.end() && it->second.erase(&e) > 0) {
        found = true;
        regex_entries_.prune(literal, [](const entry_set& s) { return s.empty(); });
      }
    }
  } else {
    found = erase_below(root_, e.m.uris.front().value, &e);
  }
  if (found) {
    --size_;
  }
}

void candidate_set::clear() noexcept {
  root_.children.clear();
  root_.first_bytes.clear();
  root_.entries.clear();
  regex_entries_.clear();
  no_uri_entries_.clear();
  size_ = 0;
  nodes_ = 1;
}

const std::string* candidate_set::collect(std::string_view path, std::vector<const entry_set*>& out) const {
  const std::string* longest = nullptr;
  const node* cur = &root_;
  std::size_t pos = 0;
  while (true) {
    if (!cur->entries.empty()) {
      out.push_back(&cur->entries);
      longest = &(*cur->entries.begin())->m.uris.front().value;
    }
    if (pos >= path.size()) {
      break;
    }
    const std::size_t slot = cur->first_bytes.find(path[pos]);
    if (slot == std::string::npos) {
      break;
    }
    const node* child = cur->children[slot].get();
    if (!path.substr(pos).starts_with(child->label)) {
      break;
    }
    pos += child->label.size();
    cur = child;
  }
  regex_entries_.for_each_prefix_of(path, [&out](const entry_set& s) { out.push_back(&s); });
  if (!no_uri_entries_.empty()) {
    out.push_back(&no_uri_entries_);
  }
  return longest;
}

std::size_t candidate_set::node_bytes(const node& n) {
  std::size_t b = estimate::heap_bytes(n.label) + estimate::heap_bytes(n.first_bytes);
  b += estimate::flat_bytes(n.children) + entry_set_bytes(n.entries);
  for (const auto& c : n.children) {
    b += sizeof(node) + node_bytes(*c);
  }
  return b;
}

std::size_t candidate_set::bytes() const {
  std::size_t n = node_bytes(root_) + entry_set_bytes(no_uri_entries_);
  n += estimate::hash_overhead(regex_entries_.by_literal.bucket_count(), regex_entries_.by_literal.size(),
                               sizeof(std::pair<const std::string, entry_set>));
  for (const auto& [literal, s] : regex_entries_.by_literal) {
    n += estimate::heap_bytes(literal) + entry_set_bytes(s);
  }
  return n + regex_entries_.lengths.size() * (2 * sizeof(std::size_t) + 4 * sizeof(void*));
}

}  // namespace gwsim::router

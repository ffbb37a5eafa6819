#include "models/router/candidate_set.hpp"

#include <algorithm>
#include <utility>

#include "models/router/byte_estimates.hpp"
#include "models/router/regex.hpp"

namespace gwsim::router {

namespace {

bool plain_hosts_only(const marshalled_route& m) noexcept {
  return !m.hosts.empty() &&
         std::all_of(m.hosts.begin(), m.hosts.end(), [](const host_rule& h) { return h.wildcard == nullptr; });
}

}  // namespace

void host_split_set::insert(const indexed_entry* e) {
  if (!plain_hosts_only(e->m)) {
    general.insert(e);
    return;
  }
  for (const auto& h : e->m.hosts) {
    by_host[std::string(h.value)].insert(e);
  }
}

bool host_split_set::erase(const indexed_entry* e) {
  if (!plain_hosts_only(e->m)) {
    return general.erase(e) > 0;
  }
  bool found = false;
  for (const auto& h : e->m.hosts) {
    const auto it = by_host.find(h.value);
    if (it != by_host.end() && it->second.erase(e) > 0) {
      found = true;
      if (it->second.empty()) {
        by_host.erase(it);
      }
    }
  }
  return found;
}

const indexed_entry* host_split_set::any() const noexcept {
  if (!general.empty()) {
    return *general.begin();
  }
  return by_host.empty() ? nullptr : *by_host.begin()->second.begin();
}

void host_split_set::collect(std::string_view raw_host, std::string_view host_no_port, bool all_hosts,
                             std::vector<const entry_set*>& out) const {
  if (!general.empty()) {
    out.push_back(&general);
  }
  if (by_host.empty()) {
    return;
  }
  if (all_hosts) {
    for (const auto& [host, set] : by_host) {
      out.push_back(&set);
    }
    return;
  }
  const auto it = by_host.find(raw_host);
  if (it != by_host.end()) {
    out.push_back(&it->second);
  }
  if (host_no_port != raw_host) {
    const auto bare = by_host.find(host_no_port);
    if (bare != by_host.end()) {
      out.push_back(&bare->second);
    }
  }
}

std::size_t host_split_set::bytes() const {
  std::size_t n = entry_set_bytes(general);
  for (const auto& [host, set] : by_host) {
    n += sizeof(std::pair<const std::string, entry_set>) + 4 * sizeof(void*) + estimate::heap_bytes(host) +
         entry_set_bytes(set);
  }
  return n;
}

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
    return n.entries.erase(e);
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
    found = no_uri_entries_.erase(&e);
  } else if (e.m.uris.front().re != nullptr) {
    for (const auto& literal : regex_literal_prefixes(e.m.uris.front().value)) {
      const auto it = regex_entries_.by_literal.find(literal);
      if (it != regex_entries_.by_literal.end() && it->second.erase(&e)) {
        found = true;
        regex_entries_.prune(literal, [](const host_split_set& s) { return s.empty(); });
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
  root_.entries = {};
  regex_entries_.clear();
  no_uri_entries_ = {};
  size_ = 0;
  nodes_ = 1;
}

const std::string* candidate_set::collect(std::string_view path, std::string_view raw_host,
                                          std::string_view host_no_port, bool all_hosts,
                                          std::vector<const entry_set*>& out) const {
  const std::string* longest = nullptr;
  const node* cur = &root_;
  std::size_t pos = 0;
  while (true) {
    if (const indexed_entry* any = cur->entries.any()) {
      cur->entries.collect(raw_host, host_no_port, all_hosts, out);
      longest = &any->r->paths[any->m.path_index];  /// the string uris.front() views
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
  regex_entries_.for_each_prefix_of(
      path, [&](const host_split_set& s) { s.collect(raw_host, host_no_port, all_hosts, out); });
  no_uri_entries_.collect(raw_host, host_no_port, all_hosts, out);
  return longest;
}

std::size_t candidate_set::node_bytes(const node& n) {
  std::size_t b = estimate::heap_bytes(n.label) + estimate::heap_bytes(n.first_bytes);
  b += estimate::flat_bytes(n.children) + n.entries.bytes();
  for (const auto& c : n.children) {
    b += sizeof(node) + node_bytes(*c);
  }
  return b;
}

std::size_t candidate_set::bytes() const {
  std::size_t n = node_bytes(root_) + no_uri_entries_.bytes();
  n += estimate::hash_overhead(regex_entries_.by_literal.bucket_count(), regex_entries_.by_literal.size(),
                               sizeof(std::pair<const std::string, host_split_set>));
  for (const auto& [literal, s] : regex_entries_.by_literal) {
    n += estimate::heap_bytes(literal) + s.bytes();
  }
  return n + regex_entries_.lengths.size() * (2 * sizeof(std::size_t) + 4 * sizeof(void*));
}

}  // namespace gwsim::router

#include "models/router/candidate_set.hpp"

#include <algorithm>
#include <utility>

#include "models/router/byte_estimates.hpp"
#include "models/router/literal_trie.hpp"
#include "models/router/regex.hpp"
#include "models/router/view_table.hpp"

namespace gwsim::router {

namespace {

bool plain_hosts_only(const marshalled_route& m) noexcept {
  return !m.hosts.empty() &&
         std::all_of(m.hosts.begin(), m.hosts.end(), [](const host_rule& h) { return h.wildcard == nullptr; });
}

/// Whether `s` continues with `label` at `pos` (labels are short: a byte
/// loop, no library call).
bool label_at(std::string_view s, std::size_t pos, const std::string& label) noexcept {
  if (s.size() - pos < label.size()) {
    return false;
  }
  for (std::size_t i = 0; i < label.size(); ++i) {
    if (s[pos + i] != label[i]) {
      return false;
    }
  }
  return true;
}

/// Orders a host list by (hash, host).
bool host_before(const host_split_set::host_list& l, std::uint64_t hash, std::string_view host) noexcept {
  return l.hash != hash ? l.hash < hash : std::string_view(l.host) < host;
}

}  // namespace

precedence_key make_precedence_key(const marshalled_route& m, const route& r, std::uint32_t rank) noexcept {
  constexpr std::uint64_t max_headers = (std::uint64_t{1} << 17U) - 1;
  const std::uint64_t headers = std::min<std::uint64_t>(m.headers.size(), max_headers);
  /// regex_priority desc: a larger priority maps to a smaller number.
  const std::uint64_t priority =
      (m.submatch_weight & sub_regex_uri) != 0
          ? std::uint64_t{UINT32_MAX} - (static_cast<std::uint32_t>(r.regex_priority) ^ 0x80000000U)
          : 0;
  precedence_key k;
  k.w[0] = (static_cast<std::uint64_t>(rank) << 52U) | (static_cast<std::uint64_t>(7U - (m.submatch_weight & 7U)) << 49U) |
           ((max_headers - headers) << 32U) | priority;
  k.w[1] = UINT64_MAX - m.max_uri_length;
  k.w[2] = static_cast<std::uint64_t>(r.created_at) ^ (std::uint64_t{1} << 63U);
  k.w[3] = (static_cast<std::uint64_t>(r.id) << 32U) | m.path_index;
  return k;
}

// ---- entry lists -------------------------------------------------------------

void entry_list::insert(const indexed_entry* e) {
  const auto at = std::lower_bound(slots_.begin(), slots_.end(), e->key,
                                   [](const entry_slot& s, const precedence_key& k) { return s.key < k; });
  slots_.insert(at, entry_slot{e->key, e, e->regex_id, e->wildcard_id, e->host_filter, e->method_filter});
}

bool entry_list::erase(const indexed_entry* e) {
  const auto at = std::lower_bound(slots_.begin(), slots_.end(), e->key,
                                   [](const entry_slot& s, const precedence_key& k) { return s.key < k; });
  if (at == slots_.end() || at->e != e) {
    return false;
  }
  slots_.erase(at);
  if (slots_.empty()) {
    slots_.shrink_to_fit();  /// an emptied list holds no block
  }
  return true;
}

// ---- host split ---------------------------------------------------------------

std::size_t host_split_set::lower(std::uint64_t hash) const noexcept {
  /// Hashes are spread evenly, so a hash's place is close to its share of
  /// the range: start there and step to the first hash not below it (a few
  /// steps in one or two cache lines, where a binary search of a key with
  /// hundreds of hosts would touch several).
  const std::size_t n = hashes.size();
  std::size_t i = static_cast<std::size_t>(((hash >> 32U) * n) >> 32U);
  if (i < n && hashes[i] < hash) {
    while (i < n && hashes[i] < hash) {
      ++i;
    }
  } else {
    while (i > 0 && hashes[i - 1] >= hash) {
      --i;
    }
  }
  return i;
}

const host_split_set::host_list* host_split_set::find(std::uint64_t hash, std::string_view host) const noexcept {
  const auto it = hashes.begin() + static_cast<std::ptrdiff_t>(lower(hash));
  for (auto i = it; i != hashes.end() && *i == hash; ++i) {
    const host_list& l = by_host[static_cast<std::size_t>(i - hashes.begin())];
    if (l.host == host) {
      return &l;
    }
  }
  return nullptr;
}

void host_split_set::insert(const indexed_entry* e) {
  if (!plain_hosts_only(e->m)) {
    general.insert(e);
    return;
  }
  for (const auto& h : e->m.hosts) {
    auto it = std::lower_bound(by_host.begin(), by_host.end(), h,
                               [](const host_list& l, const host_rule& r) { return host_before(l, r.hash, r.value); });
    if (it == by_host.end() || it->hash != h.hash || it->host != h.value) {
      hashes.insert(hashes.begin() + (it - by_host.begin()), h.hash);
      it = by_host.insert(it, host_list{h.hash, std::string(h.value), {}});
    }
    it->entries.insert(e);
  }
}

bool host_split_set::erase(const indexed_entry* e) {
  if (!plain_hosts_only(e->m)) {
    return general.erase(e);
  }
  bool found = false;
  for (const auto& h : e->m.hosts) {
    const auto* l = find(h.hash, h.value);
    if (l == nullptr) {
      continue;
    }
    const auto it = by_host.begin() + (l - by_host.data());
    if (it->entries.erase(e)) {
      found = true;
      if (it->entries.empty()) {
        hashes.erase(hashes.begin() + (it - by_host.begin()));
        by_host.erase(it);
      }
    }
  }
  if (by_host.empty()) {
    by_host.shrink_to_fit();
    hashes.shrink_to_fit();
  }
  return found;
}

void host_split_set::collect(const host_probe& h, std::vector<entry_range>& out) const {
  /// Each list's first slot is fetched while the walk goes on: the merge
  /// reads every head first.
  auto push = [&out](const entry_list& l) {
    const entry_range r = l.range();
    __builtin_prefetch(r.begin);
    out.push_back(r);
  };
  if (!general.empty()) {
    push(general);
  }
  if (by_host.empty()) {
    return;
  }
  if (h.all_hosts) {
    for (const auto& l : by_host) {
      push(l.entries);
    }
    return;
  }
  /// Hashes alone select the lists: a list of another host with the same
  /// hash only adds candidates that fail their host test (or that match by
  /// another host, and come up next to themselves in the merge).
  auto add = [&](std::uint64_t hash) {
    for (std::size_t i = lower(hash); i < hashes.size() && hashes[i] == hash; ++i) {
      push(by_host[i].entries);
    }
  };
  add(h.raw_hash);
  if (h.no_port != h.raw) {
    add(h.no_port_hash);
  }
}

std::size_t host_split_set::bytes() const {
  std::size_t n = general.bytes() + estimate::flat_bytes(by_host) + estimate::flat_bytes(hashes);
  for (const auto& l : by_host) {
    n += estimate::heap_bytes(l.host) + l.entries.bytes();
  }
  return n;
}

// ---- the trie -------------------------------------------------------------------

candidate_set::node& candidate_set::node_of(std::string_view key) { return trie_node_of(root_, key, nodes_); }

void candidate_set::insert(const indexed_entry& e) {
  ++size_;
  if (e.m.uris.empty()) {
    no_uri_entries_.insert(&e);
    return;
  }
  const uri_rule& u = e.m.uris.front();
  if (u.re != nullptr) {
    for (const auto& literal : regex_literal_prefixes(u.value)) {
      auto& set = node_of(literal).regex_entries;
      if (!set) {
        set = std::make_unique<host_split_set>();
      }
      set->insert(&e);
    }
    return;
  }
  auto& set = node_of(u.value).entries;
  if (!set) {
    set = std::make_unique<host_split_set>();
  }
  set->insert(&e);
}

bool candidate_set::erase_below(node& n, std::string_view rest, const indexed_entry* e, bool regex) {
  if (rest.empty()) {
    auto& set = regex ? n.regex_entries : n.entries;
    if (!set || !set->erase(e)) {
      return false;
    }
    if (set->empty()) {
      set.reset();
    }
    return true;
  }
  const std::size_t slot = n.first_bytes.find(rest[0]);
  if (slot == std::string::npos) {
    return false;
  }
  const auto it = n.children.begin() + static_cast<std::ptrdiff_t>(slot);
  node& c = *it;
  if (!rest.starts_with(c.label)) {
    return false;
  }
  const bool found = erase_below(c, rest.substr(c.label.size()), e, regex);
  if (found && c.empty()) {
    if (c.children.empty()) {
      n.children.erase(it);
      n.first_bytes.erase(slot, 1);
      --nodes_;
    } else if (c.children.size() == 1) {
      /// A pass-through node: fold it into its only child.
      node grandchild = std::move(c.children.front());
      grandchild.label.insert(0, c.label);
      c = std::move(grandchild);
      --nodes_;
    }
  }
  return found;
}

void candidate_set::erase(const indexed_entry& e) {
  bool found = false;
  if (e.m.uris.empty()) {
    found = no_uri_entries_.erase(&e);
  } else if (e.m.uris.front().re != nullptr) {
    for (const auto& literal : regex_literal_prefixes(e.m.uris.front().value)) {
      found = erase_below(root_, literal, &e, true) || found;
    }
  } else {
    found = erase_below(root_, e.m.uris.front().value, &e, false);
  }
  if (found) {
    --size_;
  }
}

void candidate_set::clear() noexcept {
  root_.children.clear();
  root_.first_bytes.clear();
  root_.entries.reset();
  root_.regex_entries.reset();
  no_uri_entries_ = {};
  size_ = 0;
  nodes_ = 1;
}

template <class Visit>
hit_string candidate_set::walk(std::string_view path, Visit&& visit) const {
  hit_string longest;
  const node* cur = &root_;
  std::size_t pos = 0;
  while (true) {
    if (cur->entries) {
      longest = path.substr(0, pos);
    }
    visit(*cur);
    if (pos >= path.size()) {
      break;
    }
    const node* child = cur->child(path[pos]);
    if (child == nullptr || !label_at(path, pos, child->label)) {
      break;
    }
    pos += child->label.size();
    cur = child;
  }
  return longest;
}

hit_string candidate_set::collect(std::string_view path, const host_probe& h, std::vector<entry_range>& out) const {
  const hit_string longest = walk(path, [&](const node& n) {
    if (n.entries) {
      n.entries->collect(h, out);
    }
    if (n.regex_entries) {
      n.regex_entries->collect(h, out);
    }
  });
  no_uri_entries_.collect(h, out);
  return longest;
}

hit_string candidate_set::longest_prefix(std::string_view path) const {
  return walk(path, [](const node&) {});
}

std::size_t candidate_set::node_bytes(const node& n) {
  std::size_t b = estimate::heap_bytes(n.label) + estimate::heap_bytes(n.first_bytes);
  b += estimate::flat_bytes(n.children);
  for (const auto* set : {n.entries.get(), n.regex_entries.get()}) {
    if (set != nullptr) {
      b += sizeof(host_split_set) + set->bytes();
    }
  }
  for (const auto& c : n.children) {
    b += node_bytes(c);  /// the node itself is in flat_bytes(children)
  }
  return b;
}

std::size_t candidate_set::bytes() const { return node_bytes(root_) + no_uri_entries_.bytes(); }

}  // namespace gwsim::router

#include "models/router/path_host_index.hpp"

#include <algorithm>
#include <map>
#include <span>
#include <string_view>
#include <unordered_map>

#include "models/router/byte_estimates.hpp"
#include "models/router/regex.hpp"

namespace gwsim::router {

namespace {

/// Groups (group, entry) pairs into offsets + entries (a counting sort that
/// keeps the pairs' order inside each group).
void group(const std::vector<std::pair<std::uint32_t, std::uint32_t>>& pairs, std::size_t groups,
           std::vector<std::uint32_t>& offsets, std::vector<std::uint32_t>& out) {
  offsets.assign(groups + 1, 0);
  for (const auto& p : pairs) {
    ++offsets[p.first + 1];
  }
  for (std::size_t g = 0; g < groups; ++g) {
    offsets[g + 1] += offsets[g];
  }
  out.resize(pairs.size());
  std::vector<std::uint32_t> fill(offsets.begin(), offsets.end() - 1);
  for (const auto& [g, e] : pairs) {
    out[fill[g]++] = e;
  }
}

}  // namespace

path_host_index::path_host_index(const std::vector<marshalled_route>& entries) {
  /// Keyed by the entries' views (of the routes' strings, which outlive the
  /// index), with the hashes computed while marshalling.
  view_table key_ids;
  view_table regex_ids;
  /// Keys: prefix paths take ids from 0, regexes from the end of the id
  /// space down (renumbered after the prefixes once both counts are known).
  std::vector<std::pair<std::uint32_t, std::uint32_t>> general_pairs;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> host_pairs;  ///< (key, host id) per entry
  std::vector<std::uint32_t> host_pair_entries;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const marshalled_route& e = entries[i];
    const auto idx = static_cast<std::uint32_t>(i);
    const bool plain_hosts_only =
        !e.hosts.empty() &&
        std::all_of(e.hosts.begin(), e.hosts.end(), [](const host_rule& h) { return h.wildcard == nullptr; });
    if (e.uris.empty()) {
      no_uri_.push_back(idx);
      continue;
    }
    for (const auto& u : e.uris) {
      std::uint32_t key = 0;
      if (u.re != nullptr) {
        const auto [id, fresh] = regex_ids.try_emplace(u.value, u.hash, static_cast<std::uint32_t>(regexes_.size()));
        if (fresh) {
          regexes_.push_back(&u);
        }
        key = UINT32_MAX - id;
      } else {
        const auto [id, fresh] = key_ids.try_emplace(u.value, u.hash, static_cast<std::uint32_t>(key_uri_.size()));
        if (fresh) {
          key_uri_.push_back(u.value);
        }
        key = id;
      }
      if (!plain_hosts_only) {
        general_pairs.emplace_back(key, idx);
        continue;
      }
      for (const auto& h : e.hosts) {
        const std::uint32_t hid = host_ids_.try_emplace(h.value, h.hash, static_cast<std::uint32_t>(host_ids_.size())).first;
        host_pairs.emplace_back(key, hid);
        host_pair_entries.push_back(idx);
      }
    }
  }
  regex_base_ = static_cast<std::uint32_t>(key_uri_.size());
  auto renumber = [this](std::uint32_t key) {
    return key >= regex_base_ && key > UINT32_MAX - regexes_.size() ? regex_base_ + (UINT32_MAX - key) : key;
  };
  for (auto& p : general_pairs) {
    p.first = renumber(p.first);
  }
  by_host_.reserve(host_pairs.size());
  for (std::size_t k = 0; k < host_pairs.size(); ++k) {
    by_host_.emplace_back((static_cast<std::uint64_t>(renumber(host_pairs[k].first)) << 32U) | host_pairs[k].second,
                          host_pair_entries[k]);
  }
  std::sort(by_host_.begin(), by_host_.end());
  by_host_.erase(std::unique(by_host_.begin(), by_host_.end()), by_host_.end());
  by_host_.shrink_to_fit();
  by_host_offsets_.assign(key_uri_.size() + regexes_.size() + 1, 0);
  for (const auto& [k, e] : by_host_) {
    ++by_host_offsets_[(k >> 32U) + 1];
  }
  for (std::size_t k = 1; k < by_host_offsets_.size(); ++k) {
    by_host_offsets_[k] += by_host_offsets_[k - 1];
  }
  no_uri_.shrink_to_fit();
  key_uri_.shrink_to_fit();
  regexes_.shrink_to_fit();
  group(general_pairs, key_uri_.size() + regexes_.size(), general_offsets_, general_);

  std::vector<std::pair<std::string_view, std::uint32_t>> keys;
  keys.reserve(key_uri_.size());
  for (std::size_t k = 0; k < key_uri_.size(); ++k) {
    keys.emplace_back(key_uri_[k], static_cast<std::uint32_t>(k));
  }
  /// Groups: the regexes sharing one literal prefix, in sorted order, tried
  /// as one alternation.
  std::map<std::string, std::vector<std::uint32_t>> groups;
  for (std::uint32_t r = 0; r < regexes_.size(); ++r) {
    for (auto& l : regex_literal_prefixes(regexes_[r]->value)) {
      auto& members = groups[std::move(l)];
      if (members.empty() || members.back() != r) {
        members.push_back(r);
      }
    }
  }
  literal_off_.reserve(groups.size() + 1);
  literal_off_.push_back(0);
  literal_code_.reserve(groups.size());
  std::vector<std::string_view> patterns;
  for (const auto& [literal, members] : groups) {
    keys.emplace_back(literal, group_flag | static_cast<std::uint32_t>(literal_code_.size()));
    literal_regexes_.insert(literal_regexes_.end(), members.begin(), members.end());
    literal_off_.push_back(static_cast<std::uint32_t>(literal_regexes_.size()));
    std::shared_ptr<const regex> combined;
    if (members.size() > 1) {
      patterns.clear();
      for (std::uint32_t r : members) {
        patterns.emplace_back(regexes_[r]->value);
      }
      combined = compiled_alternation(patterns);
    }
    literal_code_.push_back(std::move(combined));
  }
  literal_regexes_.shrink_to_fit();
  prefixes_ = prefix_index(keys);
}

std::uint32_t path_host_index::host_id(std::string_view host) const {
  const std::uint32_t* id = host_ids_.find(host);
  return id == nullptr ? UINT32_MAX : *id;
}

path_host_index::result path_host_index::candidates(std::string_view path, std::string_view raw_host,
                                                    std::string_view host_no_port, std::vector<std::uint32_t>& out,
                                                    std::vector<std::uint32_t>* unchecked) const {
  out.clear();
  if (unchecked != nullptr) {
    unchecked->clear();
  }
  result res;
  const std::uint32_t raw_id = host_id(raw_host);
  const std::uint32_t bare_id = host_no_port == raw_host ? UINT32_MAX : host_id(host_no_port);
  auto add_host = [&](std::uint64_t key, std::uint32_t id) {
    if (id == UINT32_MAX) {
      return;
    }
    const std::uint64_t k = (key << 32U) | id;
    const auto last = by_host_.begin() + by_host_offsets_[key + 1];
    auto it =
        std::lower_bound(by_host_.begin() + by_host_offsets_[key], last, std::pair<std::uint64_t, std::uint32_t>(k, 0));
    for (; it != last && it->first == k; ++it) {
      out.push_back(it->second);
    }
  };
  auto add_key = [&](std::uint32_t key) {
    out.insert(out.end(), general_.begin() + general_offsets_[key], general_.begin() + general_offsets_[key + 1]);
    add_host(key, raw_id);
    add_host(key, bare_id);
  };

  /// Regexes: the groups whose literal prefix starts the path. A group's
  /// alternation settles its regexes up to the first that matches (the
  /// earlier ones fail, that one matches); the later ones are run one by
  /// one, or left to the caller. The first match of every group bounds the
  /// regexes left untried, so the lowest of them is Kong's uri hit.
  thread_local std::vector<std::uint32_t> matched;
  thread_local std::vector<std::uint32_t> untried;
  thread_local std::vector<std::uint32_t> prefix_keys;
  matched.clear();
  untried.clear();
  prefix_keys.clear();
  auto try_group = [&](std::uint32_t g) {
    const std::uint32_t* r = literal_regexes_.data() + literal_off_[g];
    const std::uint32_t* const end = literal_regexes_.data() + literal_off_[g + 1];
    bool found = false;
    if (literal_code_[g] != nullptr) {
      const int first = literal_code_[g]->first_alternative(path);
      if (first == -1) {
        return;
      }
      if (first >= 0) {
        r += first;
        matched.push_back(*r++);
        found = true;
      }
    }
    for (; !found && r != end; ++r) {
      if (regexes_[*r]->re->matches_prefix(path)) {
        matched.push_back(*r);
        found = true;
      }
    }
    if (unchecked != nullptr) {
      untried.insert(untried.end(), r, end);
      return;
    }
    for (; r != end; ++r) {
      if (regexes_[*r]->re->matches_prefix(path)) {
        matched.push_back(*r);
      }
    }
  };
  /// One walk finds the prefix keys passed (shortest first) and the regex
  /// groups whose literal prefix starts the path.
  prefixes_.for_each_prefix_of(path, [&](std::span<const std::uint32_t> values, std::size_t) {
    for (std::uint32_t v : values) {
      if ((v & group_flag) != 0) {
        try_group(v & ~group_flag);
      } else {
        prefix_keys.push_back(v);
      }
    }
  });
  std::sort(matched.begin(), matched.end());
  matched.erase(std::unique(matched.begin(), matched.end()), matched.end());
  if (!matched.empty()) {
    res.regex_hit = regexes_[matched.front()]->value;
  }
  for (std::uint32_t r : matched) {
    add_key(regex_base_ + r);
  }
  if (!untried.empty()) {
    std::sort(untried.begin(), untried.end());
    untried.erase(std::unique(untried.begin(), untried.end()), untried.end());
    const std::size_t from = out.size();
    for (std::uint32_t r : untried) {
      if (!std::binary_search(matched.begin(), matched.end(), r)) {
        add_key(regex_base_ + r);
      }
    }
    unchecked->assign(out.begin() + static_cast<std::ptrdiff_t>(from), out.end());
    std::sort(unchecked->begin(), unchecked->end());
    unchecked->erase(std::unique(unchecked->begin(), unchecked->end()), unchecked->end());
  }

  /// Prefixes: every key passed, shortest first.
  for (std::uint32_t key : prefix_keys) {
    res.longest_prefix = key_uri_[key];
    add_key(key);
  }
  out.insert(out.end(), no_uri_.begin(), no_uri_.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return res;
}

std::size_t path_host_index::literal_bytes() const {
  using namespace estimate;
  std::size_t n = flat_bytes(literal_off_) + flat_bytes(literal_regexes_) + flat_bytes(literal_code_);
  for (const auto& re : literal_code_) {
    if (re) {
      /// Counted as held by this index even when the process-wide cache
      /// shares it (as regex_cache_bytes() counts patterns).
      n += 2 * sizeof(long) + sizeof(regex) + heap_bytes(re->pattern());
    }
  }
  return n;
}

std::size_t path_host_index::bytes() const {
  using namespace estimate;
  return prefixes_.bytes() + flat_bytes(key_uri_) + flat_bytes(general_offsets_) + flat_bytes(general_) +
         flat_bytes(by_host_) + flat_bytes(by_host_offsets_) + host_ids_.bytes() + flat_bytes(regexes_) +
         flat_bytes(no_uri_) + literal_bytes();
}

}  // namespace gwsim::router

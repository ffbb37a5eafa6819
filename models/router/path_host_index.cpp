#include "models/router/path_host_index.hpp"

#include <algorithm>
#include <span>

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
  string_map<std::uint32_t> key_ids;
  string_map<std::uint32_t> regex_ids;
  /// Keys: prefix paths take ids from 0, regexes from the end of the id
  /// space down (renumbered after the prefixes once both counts are known).
  std::vector<std::pair<std::uint32_t, std::uint32_t>> general_pairs;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> host_pairs;  ///< (key, host id) per entry
  std::vector<std::uint32_t> host_pair_entries;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const marshalled_route& e = entries[i];
    const auto idx = static_cast<std::uint32_t>(i);
    const bool plain_hosts_only =
        !e.hosts.empty() && std::all_of(e.hosts.begin(), e.hosts.end(), [](const host_rule& h) { return h.wildcard == nullptr; });
    if (e.uris.empty()) {
      no_uri_.push_back(idx);
      continue;
    }
    for (const auto& u : e.uris) {
      std::uint32_t key = 0;
      if (u.re != nullptr) {
        const auto [it, fresh] = regex_ids.try_emplace(u.value, static_cast<std::uint32_t>(regexes_.size()));
        if (fresh) {
          regexes_.push_back(&u);
        }
        key = UINT32_MAX - it->second;
      } else {
        const auto [it, fresh] = key_ids.try_emplace(u.value, static_cast<std::uint32_t>(key_uri_.size()));
        if (fresh) {
          key_uri_.push_back(&u.value);
        }
        key = it->second;
      }
      if (!plain_hosts_only) {
        general_pairs.emplace_back(key, idx);
        continue;
      }
      for (const auto& h : e.hosts) {
        const auto hid = host_ids_.try_emplace(h.value, static_cast<std::uint32_t>(host_ids_.size())).first;
        host_pairs.emplace_back(key, hid->second);
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
  no_uri_.shrink_to_fit();
  key_uri_.shrink_to_fit();
  regexes_.shrink_to_fit();
  group(general_pairs, key_uri_.size() + regexes_.size(), general_offsets_, general_);

  std::vector<std::pair<std::string_view, std::uint32_t>> keys;
  keys.reserve(key_uri_.size());
  for (std::size_t k = 0; k < key_uri_.size(); ++k) {
    keys.emplace_back(*key_uri_[k], static_cast<std::uint32_t>(k));
  }
  prefixes_ = prefix_index(keys);
  keys.clear();
  std::vector<std::vector<std::string>> literals(regexes_.size());
  for (std::size_t r = 0; r < regexes_.size(); ++r) {
    literals[r] = regex_literal_prefixes(regexes_[r]->value);
    for (const auto& l : literals[r]) {
      keys.emplace_back(l, static_cast<std::uint32_t>(r));
    }
  }
  regex_literals_ = prefix_index(keys);
}

std::uint32_t path_host_index::host_id(std::string_view host) const {
  const auto it = host_ids_.find(host);
  return it == host_ids_.end() ? UINT32_MAX : it->second;
}

path_host_index::result path_host_index::candidates(std::string_view path, std::string_view raw_host,
                                                    std::string_view host_no_port,
                                                    std::vector<std::uint32_t>& out) const {
  out.clear();
  result res;
  const std::uint32_t raw_id = host_id(raw_host);
  const std::uint32_t bare_id = host_no_port == raw_host ? UINT32_MAX : host_id(host_no_port);
  auto add_host = [&](std::uint64_t key, std::uint32_t id) {
    if (id == UINT32_MAX) {
      return;
    }
    const std::uint64_t k = (key << 32U) | id;
    auto it = std::lower_bound(by_host_.begin(), by_host_.end(), std::pair<std::uint64_t, std::uint32_t>(k, 0));
    for (; it != by_host_.end() && it->first == k; ++it) {
      out.push_back(it->second);
    }
  };
  auto add_key = [&](std::uint32_t key) {
    out.insert(out.end(), general_.begin() + general_offsets_[key], general_.begin() + general_offsets_[key + 1]);
    add_host(key, raw_id);
    add_host(key, bare_id);
  };

  /// Regexes: those whose literal prefix starts the path, tried in order.
  thread_local std::vector<std::uint32_t> regex_hits;
  regex_hits.clear();
  regex_literals_.for_each_prefix_of(path, [](std::span<const std::uint32_t> values, std::size_t) {
    regex_hits.insert(regex_hits.end(), values.begin(), values.end());
  });
  std::sort(regex_hits.begin(), regex_hits.end());
  regex_hits.erase(std::unique(regex_hits.begin(), regex_hits.end()), regex_hits.end());
  for (std::uint32_t r : regex_hits) {
    if (!regexes_[r]->re->matches_prefix(path)) {
      continue;
    }
    if (res.regex_hit == nullptr) {
      res.regex_hit = &regexes_[r]->value;
    }
    add_key(regex_base_ + r);
  }

  /// Prefixes: every key passed, shortest first.
  prefixes_.for_each_prefix_of(path, [&](std::span<const std::uint32_t> values, std::size_t) {
    for (std::uint32_t key : values) {
      res.longest_prefix = key_uri_[key];
      add_key(key);
    }
  });
  out.insert(out.end(), no_uri_.begin(), no_uri_.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return res;
}

std::size_t path_host_index::bytes() const {
  using namespace estimate;
  return prefixes_.bytes() + regex_literals_.bytes() + flat_bytes(key_uri_) + flat_bytes(general_offsets_) +
         flat_bytes(general_) + flat_bytes(by_host_) + heap_bytes(host_ids_) + flat_bytes(regexes_) +
         flat_bytes(no_uri_);
}

}  // namespace gwsim::router

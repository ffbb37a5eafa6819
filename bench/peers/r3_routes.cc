// Path matching on R3 (libr3, Debian's libr3-dev 1.3.4), the peer of gwsim's
// radix router for path-only route sets.
//
// Input: a file written by gwsim_bench's BM_RadixPathOnlyMatch/<N> (see
// bench/router/match_profile_bench.cpp): lines "R <route index> <path>" for
// every route path and "Q <route index> <path>" for the request stream. The
// paths are plain (no R3 {slug} patterns) and unique, so R3's whole-path
// match and gwsim's longest-prefix match must both answer with the route
// index on each Q line; every answer is checked.
//
// Usage: r3_routes PATHS_FILE [SECONDS]
//   SECONDS  minimum wall time of the timed match window (default 1.0)
//
// Output: one JSON object on stdout:
//   {"routes":N,"paths":P,"build_seconds":..,"matches":M,"seconds":..,
//    "matches_per_second":..,"ns_per_match":..,"cpu_seconds":..,"wrong":0}
// build_seconds is the best of up to five builds (r3_tree_create, one
// r3_tree_insert_pathl per path, r3_tree_compile). Paths are inserted in
// byte order (sorted once, untimed): R3 1.3.4 loses the endpoint of a path
// inserted after a longer path it is a prefix of (e.g. /v3/users after
// /v3/users/images), and sorted insertion avoids that. The match rate is wall
// clock (steady_clock) over the timed window, as gwsim's side is reported.

#include <r3/r3.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <time.h>
#include <vector>

namespace {

struct item {
  std::uintptr_t route;  // route index + 1, stored as R3's data pointer
  std::string path;
};

double cpu_now() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

node* build(const std::vector<item>& paths) {
  node* tree = r3_tree_create(10);
  for (const item& p : paths) {
    r3_tree_insert_pathl(tree, p.path.data(), static_cast<int>(p.path.size()),
                         reinterpret_cast<void*>(p.route));
  }
  char* err = nullptr;
  if (r3_tree_compile(tree, &err) != 0) {
    std::fprintf(stderr, "r3_tree_compile: %s\n", err != nullptr ? err : "failed");
    std::exit(1);
  }
  return tree;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: r3_routes PATHS_FILE [SECONDS]\n");
    return 2;
  }
  const double seconds = argc > 2 ? std::atof(argv[2]) : 1.0;
  std::ifstream in(argv[1]);
  std::vector<item> paths;
  std::vector<item> queries;
  std::string line;
  std::uintptr_t max_route = 0;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    char kind = 0;
    std::uintptr_t index = 0;
    std::string path;
    if (!(ls >> kind >> index >> path)) continue;
    (kind == 'R' ? paths : queries).push_back({index + 1, path});
    max_route = std::max(max_route, index + 1);
  }
  if (paths.empty() || queries.empty()) {
    std::fprintf(stderr, "r3_routes: no paths or no queries in %s\n", argv[1]);
    return 1;
  }

  std::stable_sort(paths.begin(), paths.end(), [](const item& a, const item& b) { return a.path < b.path; });
  double best_build = 1e300;
  node* tree = nullptr;
  for (int k = 0; k < 5; ++k) {
    if (tree != nullptr) r3_tree_free(tree);
    const auto t0 = std::chrono::steady_clock::now();
    tree = build(paths);
    const auto t1 = std::chrono::steady_clock::now();
    best_build = std::min(best_build, std::chrono::duration<double>(t1 - t0).count());
    if (best_build * (k + 2) > 2.0) break;
  }

  // Untimed pass: check every answer.
  std::size_t wrong = 0;
  for (const item& q : queries) {
    const node* m = r3_tree_matchl(tree, q.path.data(), static_cast<int>(q.path.size()), nullptr);
    if (m == nullptr || reinterpret_cast<std::uintptr_t>(m->data) != q.route) ++wrong;
  }

  std::uint64_t matches = 0;
  std::uintptr_t sink = 0;
  const double c0 = cpu_now();
  const auto t0 = std::chrono::steady_clock::now();
  double elapsed = 0;
  do {
    for (const item& q : queries) {
      const node* m = r3_tree_matchl(tree, q.path.data(), static_cast<int>(q.path.size()), nullptr);
      sink += m != nullptr ? reinterpret_cast<std::uintptr_t>(m->data) : 0;
    }
    matches += queries.size();
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  } while (elapsed < seconds);
  const double cpu = cpu_now() - c0;
  r3_tree_free(tree);

  std::printf(
      "{\"routes\":%lu,\"paths\":%zu,\"build_seconds\":%.6g,\"matches\":%llu,\"seconds\":%.6g,"
      "\"matches_per_second\":%.6g,\"ns_per_match\":%.6g,\"cpu_seconds\":%.6g,\"wrong\":%zu,\"sink\":%lu}\n",
      static_cast<unsigned long>(max_route), paths.size(), best_build, static_cast<unsigned long long>(matches),
      elapsed, static_cast<double>(matches) / elapsed, elapsed * 1e9 / static_cast<double>(matches), cpu, wrong,
      static_cast<unsigned long>(sink % 10));
  return wrong == 0 ? 0 : 3;
}

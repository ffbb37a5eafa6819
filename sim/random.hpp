#pragma once
/// Named random-number streams.
///
/// Every stochastic component draws from its own stream, derived only from the
/// run seed and the component's name (plus an index for replicated
/// components). Adding, removing or reordering components, or drawing more
/// from one of them, therefore never shifts another component's draws: two
/// designs compared under the same seed see common random numbers wherever
/// their components share names.
///
/// The derivation is a fixed, platform-independent function (FNV-1a 64 of the
/// name bytes, mixed with the seed through SplitMix64), so a seed reproduces
/// the same run on every compiler and standard library.

#include <cstdint>
#include <string_view>

#include <pcg_random.hpp>

namespace gwsim::sim {

/// pcg64 rather than pcg32: one call yields the 53 bits a double needs, and its
/// 2^127 selectable streams let each named component get its own sequence
/// rather than just a different starting point on a shared one.
using rng = pcg64;

/// A run's source of independent generators.
class random_streams {
 public:
  explicit random_streams(std::uint64_t seed) noexcept : seed_(seed) {}

  std::uint64_t seed() const noexcept { return seed_; }

  /// The generator for the component `name`; the same (seed, name) always
  /// gives the same sequence. Throws std::invalid_argument for an empty name,
  /// which usually means an unconfigured component.
  rng stream(std::string_view name) const;

  /// The generator for instance `index` of a replicated component (worker 3
  /// of a pool, link 7 of a fabric); distinct from stream(name) and from every
  /// other index.
  rng stream(std::string_view name, std::uint64_t index) const;

 private:
  std::uint64_t seed_;
};

/// The run seed of replication `replication` of an experiment whose base seed
/// is `base_seed`; replications get unrelated seeds, so their streams are
/// independent while each stays reproducible on its own.
std::uint64_t replication_seed(std::uint64_t base_seed, std::uint64_t replication) noexcept;

/// Building blocks of the stream derivation, exposed so their constants can be
/// pinned by tests: any change to them silently changes every run.
std::uint64_t fnv1a64(std::string_view bytes) noexcept;
std::uint64_t splitmix64_mix(std::uint64_t x) noexcept;

/// A double uniform on [0, 1) from the top 53 bits of one draw, so every
/// representable multiple of 2^-53 is equally likely.
inline double uniform01(rng& g) noexcept { return static_cast<double>(g() >> 11) * 0x1.0p-53; }

/// A double uniform on (0, 1), never 0 or 1, for transforms that take log(u)
/// or log(1 - u). Uses 52 bits and a half-step offset because 1 - 2^-54 is
/// not representable and would round to 1.
inline double uniform_open01(rng& g) noexcept {
  return (static_cast<double>(g() >> 12) + 0.5) * 0x1.0p-52;
}

/// An integer uniform on [0, n) without modulo bias (Lemire's
/// multiply-and-reject), for table lookups. Throws std::invalid_argument for
/// n = 0.
std::uint64_t uniform_index(rng& g, std::uint64_t n);

}  // namespace gwsim::sim

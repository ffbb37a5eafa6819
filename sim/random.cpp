#include "sim/random.hpp"

#include <stdexcept>

namespace gwsim::sim {

namespace {

/// SplitMix64's increment (2^64 / golden ratio): consecutive multiples are
/// well spread, so seed + k * golden never revisits a nearby input.
constexpr std::uint64_t golden_gamma = 0x9e3779b97f4a7c15ULL;

constexpr std::uint64_t fnv_offset_basis = 0xcbf29ce484222325ULL;
constexpr std::uint64_t fnv_prime = 0x100000001b3ULL;

/// Domain separators keep the state, the stream selector and replication
/// seeds from being the same function of the same input.
constexpr std::uint64_t stream_selector_domain = 0x5851f42d4c957f2dULL;
constexpr std::uint64_t replication_domain = 0xd1b54a32d192ed03ULL;

/// Marks where a name ends and the index begins; 0xff never occurs in UTF-8,
/// so (name, index) cannot collide with a plain name.
constexpr unsigned char index_separator = 0xff;

std::uint64_t fnv1a64_continue(std::uint64_t h, const unsigned char* bytes, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    h ^= bytes[i];
    h *= fnv_prime;
  }
  return h;
}

std::uint64_t fnv1a64_continue(std::uint64_t h, std::string_view s) noexcept {
  for (const char c : s) {
    /// Hash the byte value, not the char, so signed-char platforms agree.
    h ^= static_cast<unsigned char>(c);
    h *= fnv_prime;
  }
  return h;
}

rng::state_type make_128(std::uint64_t hi, std::uint64_t lo) {
  return (static_cast<rng::state_type>(hi) << 64) | static_cast<rng::state_type>(lo);
}

void check_name(std::string_view name) {
  if (name.empty()) {
    throw std::invalid_argument(
        "random_streams: name = \"\" is invalid; must be a non-empty component name (an empty name usually means "
        "an unconfigured component)");
  }
}

/// The only place seeds and names meet. The pcg state depends on (seed, name)
/// and the stream selector on the name alone: for one seed, distinct names get
/// distinct states (splitmix64_mix is a bijection) *and* distinct LCG
/// increments, so they never share a sequence even by a state collision.
rng make_stream(std::uint64_t seed, std::uint64_t name_key) {
  const std::uint64_t k = splitmix64_mix(splitmix64_mix(seed + golden_gamma) ^ name_key);
  const std::uint64_t s = splitmix64_mix(name_key ^ stream_selector_domain);
  const rng::state_type state = make_128(splitmix64_mix(k + golden_gamma), splitmix64_mix(k + 2 * golden_gamma));
  const rng::state_type selector =
      make_128(splitmix64_mix(s + golden_gamma), splitmix64_mix(s + 2 * golden_gamma));
  return rng(state, selector);
}

void mul_64x64(std::uint64_t a, std::uint64_t b, std::uint64_t& hi, std::uint64_t& lo) noexcept {
#if defined(__SIZEOF_INT128__)
  __extension__ using u128 = unsigned __int128;
  const u128 p = static_cast<u128>(a) * b;
  hi = static_cast<std::uint64_t>(p >> 64);
  lo = static_cast<std::uint64_t>(p);
#else
  const std::uint64_t a_lo = a & 0xffffffffULL;
  const std::uint64_t a_hi = a >> 32;
  const std::uint64_t b_lo = b & 0xffffffffULL;
  const std::uint64_t b_hi = b >> 32;
  const std::uint64_t p0 = a_lo * b_lo;
  const std::uint64_t p1 = a_lo * b_hi;
  const std::uint64_t p2 = a_hi * b_lo;
  const std::uint64_t p3 = a_hi * b_hi;
  const std::uint64_t mid = (p0 >> 32) + (p1 & 0xffffffffULL) + (p2 & 0xffffffffULL);
  lo = (mid << 32) | (p0 & 0xffffffffULL);
  hi = p3 + (p1 >> 32) + (p2 >> 32) + (mid >> 32);
#endif
}

}  // namespace

std::uint64_t fnv1a64(std::string_view bytes) noexcept { return fnv1a64_continue(fnv_offset_basis, bytes); }

std::uint64_t splitmix64_mix(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

rng random_streams::stream(std::string_view name) const {
  check_name(name);
  return make_stream(seed_, fnv1a64(name));
}

rng random_streams::stream(std::string_view name, std::uint64_t index) const {
  check_name(name);
  /// Little-endian bytes by construction, not by memcpy, so big-endian hosts
  /// derive the same streams.
  unsigned char tail[9];
  tail[0] = index_separator;
  for (std::size_t i = 0; i < 8; ++i) {
    tail[i + 1] = static_cast<unsigned char>((index >> (8 * i)) & 0xffU);
  }
  return make_stream(seed_, fnv1a64_continue(fnv1a64(name), tail, sizeof tail));
}

std::uint64_t replication_seed(std::uint64_t base_seed, std::uint64_t replication) noexcept {
  /// Element `replication` of a SplitMix64 sequence started from the mixed
  /// base seed: consecutive replications get unrelated 64-bit seeds.
  return splitmix64_mix(splitmix64_mix(base_seed ^ replication_domain) + (replication + 1) * golden_gamma);
}

std::uint64_t uniform_index(rng& g, std::uint64_t n) {
  if (n == 0) {
    throw std::invalid_argument("uniform_index: n = 0 is invalid; must be >= 1");
  }
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  mul_64x64(g(), n, hi, lo);
  if (lo < n) {
    /// 2^64 mod n: the low products below it belong to an incomplete last
    /// block of outputs and would bias the result.
    const std::uint64_t threshold = (0 - n) % n;
    while (lo < threshold) {
      mul_64x64(g(), n, hi, lo);
    }
  }
  return hi;
}

}  // namespace gwsim::sim

// An explicit, portable random number generator: the same seed gives the same
// stream on every platform and standard library (std::mt19937 would, but the
// std distributions would not).
#pragma once

#include <cstdint>

#include "types.hpp"

namespace emclust {

/// SplitMix64 step: expands a seed into well-mixed 64-bit words.
inline std::uint64_t splitmix64(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/// xoshiro256** (Blackman and Vigna, 2018), seeded through SplitMix64.
class Rng {
  public:
    explicit Rng(std::uint64_t seed = 0) {
        std::uint64_t s = seed;
        for (auto& word : state_) word = splitmix64(s);
    }

    /// An independent stream for restart `index` of a computation seeded `seed`.
    static Rng stream(std::uint64_t seed, std::uint64_t index) {
        std::uint64_t s = seed ^ (0xD1B54A32D192ED03ULL * (index + 1));
        return Rng(splitmix64(s));
    }

    std::uint64_t next() {
        const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
        const std::uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }

    /// Uniform double in [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

    /// Uniform integer in [0, n), n > 0, without modulo bias: draws below
    /// 2^64 mod n are rejected so that every residue is equally likely.
    std::uint64_t below(std::uint64_t n) {
        const std::uint64_t threshold = (0 - n) % n;
        for (;;) {
            const std::uint64_t r = next();
            if (r >= threshold) return r % n;
        }
    }

  private:
    static std::uint64_t rotl(std::uint64_t x, unsigned k) {
        return (x << k) | (x >> (64U - k));
    }
    std::uint64_t state_[4];
};

}  // namespace emclust

// RNG: a small seeded generator (xoshiro256**) with the same numbers on every platform.
#pragma once

#include <cmath>
#include <cstdint>

namespace palign {

struct rng {
    uint64_t s[4];

    explicit rng(uint64_t seed) {
        for (auto & x : s) {   // splitmix64 expansion of the seed
            seed += 0x9e3779b97f4a7c15ull;
            uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
            x = z ^ (z >> 31);
        }
    }
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    uint64_t next() {
        const uint64_t r = rotl(s[1] * 5, 7) * 9;
        const uint64_t t = s[1] << 17;
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
        s[2] ^= t;    s[3] = rotl(s[3], 45);
        return r;
    }
    double uniform() { return (next() >> 11) * 0x1.0p-53; }            // [0, 1)
    uint64_t below(uint64_t n) { return n ? next() % n : 0; }          // [0, n) (bias negligible for small n)
    double normal() {                                                  // Box-Muller
        double u1 = uniform(), u2 = uniform();
        if (u1 < 1e-300) u1 = 1e-300;
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    }
};

} // namespace palign

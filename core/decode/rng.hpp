// The decoders' random numbers: PCG32 (XSH-RR, 64-bit state), exactly pcg32_random_r / pcg32_srandom_r of
// O'Neill's pcg-c-basic. Integer-only, so one seed gives the same draws natively and in wasm (which is why
// <random>'s distributions, whose algorithms differ between libstdc++ and libc++, are not used).
// Reference: Pcg32(42, 54) yields 0xa15c02b7 0x7b47f409 0xba1d3330 ... (pcg32-demo, round 1).
#pragma once

#include <cstdint>

namespace atnat::decode {

class Pcg32 {
public:
    // pcg32_srandom_r(seed, stream): streams differ for different `stream` values (2^63 of them).
    explicit Pcg32(uint64_t seed = 0, uint64_t stream = 0) {
        inc_ = (stream << 1u) | 1u;
        next_u32();
        state_ += seed;
        next_u32();
    }

    uint32_t next_u32() {
        const uint64_t old = state_;
        state_ = old * 6364136223846793005ULL + inc_;
        const auto xorshifted = static_cast<uint32_t>(((old >> 18u) ^ old) >> 27u);
        const auto rot = static_cast<uint32_t>(old >> 59u);
        return (xorshifted >> rot) | (xorshifted << ((32u - rot) & 31u));
    }

    // Uniform in [0, 1): the top 24 bits scaled by 2^-24 (every value exactly representable as a float).
    float uniform() { return static_cast<float>(next_u32() >> 8) * (1.0f / 16777216.0f); }

private:
    uint64_t state_ = 0;
    uint64_t inc_ = 1;
};

}  // namespace atnat::decode

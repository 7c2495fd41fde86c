// One memory budget per request. Before a session allocates anything, the bytes it would hold are added up
// from the model's config and the request's settings (the weights, the activations and KV cache of every
// state, one state per beam hypothesis, image buffers) and checked against the caller's limit, the request
// field max_memory: the CLI's --max-memory (default kDefaultMaxMemoryMiB), and on the page what the engine
// allows (wasm/engine.js caps it at what a phone holds). A request over its budget gets one error naming the
// parts, the settings that size them and the bytes, and nothing is allocated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/decode/fields.hpp"
#include "core/status.hpp"

namespace atnat::decode {

constexpr uint32_t kDefaultMaxMemoryMiB = 1024;

// The limit, a field of every request that makes a session (GenerateRequest, NatRequest, ImageRequest,
// PronounceRequest).
struct MemoryLimit {
    uint32_t max_memory = kDefaultMaxMemoryMiB;  // MiB

    template <class Self, class Visit>
    static void fields(Self& r, Visit&& visit) {
        visit(
            FieldSpec{"max_memory", "MIB",
                      "refuse a request whose weights and buffers would need more than MIB MiB", 1, 1 << 20},
            r.max_memory);
    }
};

// One part of a request's memory: what it is, with the settings that size it, and its bytes.
struct MemoryPart {
    std::string what;  // e.g. "7 more beam states (beam = 8, context 8192)"
    uint64_t bytes = 0;
};

// An error unless the parts add up to at most max_memory MiB, e.g. "this request needs 1234567890 bytes
// (1177.4 MiB), more than max_memory = 256 MiB: weights 1.1 MiB + decoding state (context 8192) 147.0 MiB
// + 7 more beam states (beam = 8, context 8192) 1029.3 MiB".
Status check_memory(uint32_t max_memory, const std::vector<MemoryPart>& parts);

}  // namespace atnat::decode

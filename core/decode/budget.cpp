#include "core/decode/budget.hpp"

#include <cstdio>

namespace atnat::decode {

namespace {

std::string mib(uint64_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / double(1 << 20));
    return buf;
}

}  // namespace

Status check_memory(uint32_t max_memory, const std::vector<MemoryPart>& parts) {
    uint64_t total = 0;
    for (const MemoryPart& p : parts) total += p.bytes;
    if (total <= uint64_t(max_memory) << 20) return {};
    std::string list;
    for (const MemoryPart& p : parts) list += (list.empty() ? "" : " + ") + p.what + " " + mib(p.bytes);
    return Status::failure("this request needs " + std::to_string(total) + " bytes (" + mib(total) +
                           "), more than max_memory = " + std::to_string(max_memory) + " MiB: " + list);
}

}  // namespace atnat::decode

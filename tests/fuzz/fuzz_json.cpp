// libFuzzer target: the one JSON reader for untrusted text (core/io/json.hpp: weight-file headers, metadata,
// requests). parse_json returns an Error or a tree no deeper than kMaxJsonDepth and without duplicate keys;
// a tree it accepts can be printed and destroyed without deep recursion; printable() never lets a control
// byte through. Run: bash scripts/fuzz.sh (no input cap below 256 KiB, so deep nesting is reachable).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/io/json.hpp"

using namespace atnat;

namespace {

size_t depth(const nlohmann::json& j) {
    size_t d = 0;
    if (j.is_structured())
        for (const auto& child : j) d = std::max(d, depth(child));
    return j.is_structured() ? d + 1 : 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    for (char c : io::printable(text))
        if (c < 0x20 || c > 0x7e) __builtin_trap();
    auto parsed = io::parse_json(text, "fuzz input");
    if (!parsed) {
        for (char c : parsed.error())
            if (c < 0x20 || c > 0x7e) __builtin_trap();  // an error message is printable, too
        return 0;
    }
    if (depth(*parsed) > io::kMaxJsonDepth) __builtin_trap();
    (void)parsed->dump();
    return 0;
}

#include "core/decode/session.hpp"

namespace atnat::decode {

std::span<const Choice<StopReason>> choices(StopReason) {
    static constexpr Choice<StopReason> kNames[] = {
        {StopReason::none, "none"},
        {StopReason::eos, "eos"},
        {StopReason::max_tokens, "max_tokens"},
        {StopReason::context_full, "context_full"},
        {StopReason::length, "length"},
        {StopReason::cancelled, "cancelled"},
        {StopReason::error, "error"},
    };
    return kNames;
}

}  // namespace atnat::decode

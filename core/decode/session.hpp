// The contract every generator keeps, text and images alike (GenerationSession, NatSession, HybridSession,
// RasterSampler, MaskPredictSampler):
//
//     static Result<Session> create(model, settings...);   // validates; allocates its state once
//     bool done() const;
//     Result<Event> step();       // one unit of work (a token, a pass, a round, an image row); an error if
//     the
//                                 // session is done or the model fails
//     void cancel();              // ends the session early; the summary keeps what was generated
//     Summary result() const;     // the summary so far, final once done()
//
// so one loop drives any of them: run() below (the CLI, the tests, the hybrid's drafts), or a caller that
// yields between steps (the wasm engine, which streams every event to the page and cancels by not stepping).
#pragma once

#include <chrono>
#include <concepts>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

#include "core/decode/fields.hpp"
#include "core/status.hpp"

namespace atnat::decode {

// Why a session ended: eos (the <eos> token), max_tokens, context_full (the model's context is full), length
// (mask-predict filled the poem's length), cancelled, error (the model failed; step() returned it); none
// while it runs. (An image ends when its last pixel is painted: its summary only says whether it was
// cancelled.)
enum class StopReason { none, eos, max_tokens, context_full, length, cancelled, error };
std::span<const Choice<StopReason>> choices(StopReason);
inline const char* stop_reason_name(StopReason r) {
    return name_of(r);
}

// A duration in milliseconds (the sessions' "ms").
inline double to_ms(std::chrono::steady_clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

template <class S>
concept Session = requires(S s, const S cs) {
    { cs.done() } -> std::same_as<bool>;
    s.step();
    s.cancel();
    cs.result();
};

// Steps a session to the end, handing every event to on_event; the first error ends the run.
template <Session S, class OnEvent>
Status run(S& session, OnEvent&& on_event) {
    while (!session.done()) {
        auto event = session.step();
        if (!event) return Status::failure(event.error());
        on_event(*event);
    }
    return {};
}

template <Session S>
Status run(S& session) {
    return run(session, [](const auto&) {});
}

// A session just created, run to the end: its summary, or the first error (of create() or of a step).
template <Session S>
auto run_to_end(Result<S> session) -> Result<std::remove_cvref_t<decltype(session->result())>> {
    if (!session) return make_error(session.error());
    if (Status st = run(*session); !st) return make_error(st.error());
    return session->result();
}

}  // namespace atnat::decode

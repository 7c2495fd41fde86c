#include "core/decode/speculative.hpp"

#include <algorithm>
#include <cstddef>

namespace atnat::decode {

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

Result<HybridSession> HybridSession::create(const TextModel& at, const NatModel& nat,
                                            const NatRequest& request) {
    if (!at.transformer || !at.tokenizer || !nat.cmlm || !nat.tokenizer)
        return make_error("hybrid: no model");
    if (request.decoding == Decoding::sample)
        return make_error(
            "the hybrid reproduces AT greedy: its drafts use argmax (decoding \"sample\" is not used)");
    if (request.length_beam != 1) return make_error("the hybrid drafts one length: length_beam must be 1");
    const io::Tokenizer& tok = *nat.tokenizer;
    if (at.tokenizer->size() != tok.size())
        return make_error(
            "the AT and NAT models must share the tokenizer: " + std::to_string(at.tokenizer->size()) +
            " vs " + std::to_string(tok.size()) + " tokens");
    for (size_t i = 0; i < tok.size(); ++i) {
        if (at.tokenizer->token_text(int32_t(i)) != tok.token_text(int32_t(i)))
            return make_error("the AT and NAT models must share the tokenizer: token " + std::to_string(i) +
                              " is " + spell(at.tokenizer->token_text(int32_t(i))) + " vs " +
                              spell(tok.token_text(int32_t(i))));
    }
    if (request.guidance != 0.f) return make_error(kHybridGuidance);
    NatRequest settings = request;
    settings.strategy = NatStrategy::nat;
    auto plan = plan_poem(nat, settings);
    if (!plan) return make_error(plan.error());
    if (Status st = check_nat_settings(settings, *plan); !st) return make_error(st.error());
    GenerateRequest g = at_request(*plan, tok);  // AT greedy with the plan's constraints
    g.top_n = settings.top_n;
    g.repetition_penalty = settings.repetition_penalty;
    settings.repetition_penalty = 1.f;  // AT's: the drafts are plain mask-predict
    if (settings.draft_tokens && *settings.draft_tokens == 0)
        return make_error("draft_tokens must be at least 1");
    auto prompt = encode_prompt(at, g.form, g.prompt);
    if (!prompt) return make_error(prompt.error());
    const size_t C = at.transformer->config.context;
    if (prompt->tokens.size() >= C)
        return make_error("the prompt is " + std::to_string(prompt->tokens.size() - prompt->body_start) +
                          " tokens long; with the start tokens it must stay under the context of " +
                          std::to_string(C) + " tokens");

    auto options = decode_options(at, g, *prompt);
    if (!options) return make_error(options.error());
    auto picker = TokenPicker::create(at.transformer->config.vocab_size, picker_settings(*options));
    if (!picker) return make_error(picker.error());
    const models::Cmlm& cm = *nat.cmlm;
    const Status budget =
        check_memory(settings.max_memory, {{"AT weights", at.transformer->file.byte_size()},
                                           {"NAT weights", cm.transformer.file.byte_size()},
                                           {"AT decoding state (context " + std::to_string(C) + ")",
                                            models::state_bytes(at.transformer->config, 0)},
                                           nat_state_memory(cm, "NAT decoding state")});
    if (!budget) return make_error(budget.error());

    HybridSession s;
    s.picker_ = std::move(*picker);
    s.at_ = at.transformer;
    s.tokenizer_ = at.tokenizer;
    s.nat_ = nat;
    s.plan_ = std::move(*plan);
    s.settings_ = settings;
    s.seq_ = prompt->tokens;
    s.seq_.reserve(C);
    s.body_start_ = prompt->body_start;
    s.prompt_size_ = prompt->tokens.size();
    s.at_state_ = models::make_state(*at.transformer, 0);
    s.nat_state_ =
        std::make_shared<models::TransformerState>(models::make_state(cm.transformer, nat_state_rows(cm)));
    s.info_.text = g.prompt;
    s.info_.unknown_chars = prompt->unknown_chars;
    s.result_.text = g.prompt;
    s.result_.prompt_tokens = s.prompt_size_;
    s.result_.iterations = settings.iterations;
    s.result_.unknown_chars = prompt->unknown_chars;
    return s;
}

Result<HybridEvent> HybridSession::step() {
    if (done())
        return make_error(std::string("hybrid: the session is done (") + name_of(result_.stop_reason) + ")");
    const auto t0 = Clock::now();
    const io::Tokenizer& tok = *tokenizer_;
    const models::Cmlm& cm = *nat_.cmlm;
    const size_t C = at_->config.context, V = at_->config.vocab_size;
    const size_t K = settings_.draft_tokens.value_or(kDraftTokens);  // drafted tokens AT checks
    const size_t S = seq_.size(), chars = S - body_start_;
    HybridRound round;
    round.round = result_.rounds.size() + 1;

    // --- 1. the CMLM drafts the rest, the accepted text given
    std::vector<int32_t> draft;
    const size_t cap = plan_.mode == NatMode::length ? cm.max_len : cm.max_len_fixed;
    const bool room = chars < cap && (plan_.length == 0 || chars < plan_.length);
    if (room) {
        PoemPlan p = plan_;
        for (size_t i = 0; i < chars; ++i) p.given[i] = seq_[body_start_ + i];
        p.prompt_chars = chars;
        p.min_length = std::max(p.min_length, chars + 1);
        if (p.mode == NatMode::length && p.length_source == LengthSource::predicted &&
            predicted_length_ != 0) {
            p.length_source = LengthSource::given;
            p.length = std::max(predicted_length_, p.min_length);
        }
        auto ns = NatSession::create(nat_, std::move(p), settings_, nat_state_);
        if (!ns) return fail("hybrid: draft: " + ns.error());
        while (!ns->done()) {
            auto ev = ns->step();
            if (!ev) return fail("hybrid: draft: " + ev.error());
        }
        const NatResult& nr = ns->result();
        round.nat_passes = nr.forward_passes;
        if (predicted_length_ == 0 && plan_.mode == NatMode::length)
            predicted_length_ = ns->output_ids().size();
        const std::vector<int32_t>& y = ns->output_ids();
        const size_t end = plan_.mode == NatMode::length ? y.size() : nr.length;
        const size_t from = std::min(chars, end);
        draft.assign(y.begin() + std::ptrdiff_t(from), y.begin() + std::ptrdiff_t(std::min(end, from + K)));
    }
    if (draft.size() < K) draft.push_back(tok.eos());  // the draft reaches the poem's end
    if (S + draft.size() > C) draft.resize(C - S);     // positions S .. S+m-1 stay inside the context
    round.draft = tok.decode(draft);
    round.drafted = draft.size();

    // --- 2. AT checks the draft in one pass: the uncached tokens + the draft
    std::vector<int32_t> feed(seq_.begin() + std::ptrdiff_t(fed_), seq_.end());
    feed.insert(feed.end(), draft.begin(), draft.end());
    auto logits = models::forward_all(*at_, at_state_, feed, fed_);
    if (!logits) return fail("hybrid: verify: " + logits.error());
    ++result_.at_passes;
    const float* rows = logits->data();
    // AT greedy's pick for sequence position `pos` (from the row of position pos - 1): AT's own picker.
    auto pick = [&](size_t pos) {
        const Pick p = picker_.pick({rows + (pos - 1 - fed_) * V, V}, pos, seq_);  // seq_: pos tokens
        result_.tokens.push_back(picker_.record(tok, p));
        result_.logprob += p.logprob;
        seq_.push_back(p.id);
        return p.id;
    };
    StopReason stop = StopReason::none;
    auto ended = [&](int32_t id) {
        if (id == tok.eos())
            stop = StopReason::eos;
        else if (seq_.size() >= C)
            stop = StopReason::context_full;
        return stop != StopReason::none;
    };
    size_t accepted = 0;
    bool disagreed = false;
    for (size_t j = 0; j < draft.size() && stop == StopReason::none; ++j) {
        const int32_t id = pick(S + j);
        if (id == draft[j]) {
            ++accepted;
        } else {
            round.at_token = tok.token_text(id);
            disagreed = true;
        }
        if (ended(id) || disagreed) break;
    }
    if (!disagreed && stop == StopReason::none) {  // the whole draft agreed: AT's next token comes free
        const int32_t id = pick(S + draft.size());
        round.at_token = tok.token_text(id);
        ended(id);
    }
    fed_ = S + accepted;  // the rejected draft token's cache row is overwritten by the next pass
    round.accepted = accepted;

    // --- 3. bookkeeping
    result_.drafted += round.drafted;
    result_.accepted += accepted;
    result_.nat_passes += round.nat_passes;
    result_.forward_passes = result_.at_passes + result_.nat_passes;
    result_.at_greedy_passes = result_.tokens.size();
    result_.saved_passes = (long long)result_.at_greedy_passes - (long long)result_.at_passes;
    result_.completion =
        tok.decode(std::span<const int32_t>(seq_.data() + prompt_size_, seq_.size() - prompt_size_));
    result_.text = info_.text + result_.completion;
    result_.score = result_.tokens.empty() ? 0.0 : result_.logprob / double(result_.tokens.size());
    round.text = result_.text;
    result_.rounds.push_back(round);
    if (stop != StopReason::none) finish(stop);
    busy_ += Clock::now() - t0;
    result_.ms = to_ms(busy_);
    result_.tokens_per_s = result_.ms > 0 ? double(result_.tokens.size()) / (result_.ms / 1000.0) : 0.0;
    HybridEvent ev;
    ev.index = round.round - 1;
    ev.round = std::move(round);
    ev.done = done();
    return ev;
}

void HybridSession::cancel() {
    if (!done()) finish(StopReason::cancelled);
}

void HybridSession::finish(StopReason reason) {
    result_.stop_reason = reason;
}

Result<HybridEvent> HybridSession::fail(std::string message) {
    result_.error = message;
    finish(StopReason::error);
    return make_error(std::move(message));
}

}  // namespace atnat::decode

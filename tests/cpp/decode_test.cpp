// Decoding strategies over a tiny fake LanguageModel (no weights needed): RNG reference values, logit
// processing math, greedy / sampling / beam behaviour, stop reasons, forced tokens, request validation, JSON.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>
#include <map>
#include <memory>

#include "core/decode/generate.hpp"
#include "core/decode/language_model.hpp"
#include "core/decode/picker.hpp"
#include "core/decode/report.hpp"
#include "core/decode/request.hpp"
#include "core/decode/rng.hpp"
#include "core/decode/sampling.hpp"
#include "core/decode/text_model.hpp"

namespace atnat::decode {
namespace {

// Vocabulary: 0 <pad> 1 <bos> 2 <eos> 3 <unk> 4 a 5 b 6 c 7 d 8 e
constexpr int32_t BOS = 1, EOS = 2, A = 4, B = 5, C = 6, D = 7, E = 8;
constexpr size_t V = 9;

std::shared_ptr<const io::Tokenizer> tiny_tokenizer() {
    nlohmann::json spec = {{"type", "char"},
                           {"tokens", {"<pad>", "<bos>", "<eos>", "<unk>", "a", "b", "c", "d", "e"}},
                           {"specials", {{"pad", 0}, {"bos", 1}, {"eos", 2}, {"unk", 3}}}};
    auto t = io::Tokenizer::from_json(spec);
    EXPECT_TRUE(t.ok()) << (t ? "" : t.error());
    return std::make_shared<const io::Tokenizer>(std::move(*t));
}

// Next-token log-probabilities as a function of the whole sequence so far.
using Rule = std::function<std::vector<float>(const std::vector<int32_t>& seq)>;

// Probabilities -> logits (log p; 0 -> -30).
std::vector<float> from_probs(std::map<int32_t, float> probs) {
    std::vector<float> l(V, -30.f);
    for (auto [id, p] : probs) l[size_t(id)] = std::log(p);
    return l;
}

struct Counters {
    size_t prefills = 0, steps = 0, prefill_tokens = 0;
};

class FakeLM final : public LanguageModel {
public:
    FakeLM(Rule rule, size_t context, std::shared_ptr<Counters> counters = std::make_shared<Counters>())
        : rule_(std::move(rule)), context_(context), counters_(std::move(counters)) {}
    size_t vocab_size() const override { return V; }
    size_t context() const override { return context_; }
    size_t length() const override { return seq_.size(); }
    void reset() override { seq_.clear(); }
    Result<std::span<const float>> prefill(std::span<const int32_t> tokens) override {
        ++counters_->prefills;
        counters_->prefill_tokens += tokens.size();
        for (int32_t t : tokens) {
            if (auto s = push(t); !s) return make_error(s.error());
        }
        return eval();
    }
    Result<std::span<const float>> step(int32_t token) override {
        ++counters_->steps;
        if (fail_at_ && seq_.size() == fail_at_) return make_error("fake model failure");
        if (auto s = push(token); !s) return make_error(s.error());
        return eval();
    }
    std::unique_ptr<LanguageModel> fork() const override { return std::make_unique<FakeLM>(*this); }
    Status copy_state_from(const LanguageModel& other) override {
        seq_ = dynamic_cast<const FakeLM&>(other).seq_;
        return {};
    }
    size_t fail_at_ = 0;  // step() fails when the sequence has this many tokens (0: never)

private:
    Status push(int32_t t) {
        if (seq_.size() >= context_) return Status::failure("context full");
        if (t < 0 || size_t(t) >= V) return Status::failure("bad token");
        seq_.push_back(t);
        return {};
    }
    Result<std::span<const float>> eval() {
        logits_ = rule_(seq_);
        return std::span<const float>(logits_);
    }
    Rule rule_;
    size_t context_;
    std::shared_ptr<Counters> counters_;
    std::vector<int32_t> seq_;
    std::vector<float> logits_;
};

// A fixed distribution at every step: a 0.4, b 0.3, c 0.2, d 0.1 (no eos).
Rule flat_rule() {
    return [](const std::vector<int32_t>&) {
        return from_probs({{A, 0.4f}, {B, 0.3f}, {C, 0.2f}, {D, 0.1f}});
    };
}

// Generated tokens after the prompt: the length-th one is eos (a b c d ... then eos).
Rule ends_after(size_t prompt, size_t length) {
    return [=](const std::vector<int32_t>& seq) {
        const size_t n = seq.size() - prompt;
        if (n + 1 >= length) return from_probs({{EOS, 0.9f}, {A, 0.1f}});
        return from_probs({{int32_t(A + n % 4), 0.7f}, {E, 0.2f}, {EOS, 0.1f}});
    };
}

DecodeOptions options(Strategy s, size_t max_tokens = 20) {
    DecodeOptions o;
    o.strategy = s;
    o.max_tokens = max_tokens;
    o.eos = EOS;
    return o;
}

struct Run {
    GenerateResult result;
    std::vector<StepEvent> events;
    std::shared_ptr<Counters> counters;
};

Run run(Rule rule, DecodeOptions o, std::vector<int32_t> prompt = {BOS}, size_t context = 32) {
    auto counters = std::make_shared<Counters>();
    auto s = GenerationSession::create(std::make_unique<FakeLM>(std::move(rule), context, counters),
                                       tiny_tokenizer(), std::move(prompt), std::move(o));
    EXPECT_TRUE(s.ok()) << (s ? "" : s.error());
    Run r;
    r.counters = counters;
    if (!s) return r;
    for (int guard = 0; !s->done() && guard < 1000; ++guard) {
        auto ev = s->step();
        EXPECT_TRUE(ev.ok()) << (ev ? "" : ev.error());
        if (!ev) break;
        r.events.push_back(*ev);
    }
    r.result = s->result();
    return r;
}

std::vector<int32_t> ids(const GenerateResult& r) {
    std::vector<int32_t> out;
    for (const auto& t : r.tokens) out.push_back(t.id);
    return out;
}

std::string create_error(Rule rule, DecodeOptions o, std::vector<int32_t> prompt = {BOS},
                         size_t context = 32) {
    auto s = GenerationSession::create(std::make_unique<FakeLM>(std::move(rule), context), tiny_tokenizer(),
                                       std::move(prompt), std::move(o));
    return s ? std::string() : s.error();
}

// ------------------------------------------------------------------------------------------------ RNG
TEST(Pcg32, MatchesTheReferenceDemo) {
    // pcg32-demo (pcg-c-basic), pcg32_srandom_r(42, 54): round 1, then round 5 after 614 more draws.
    Pcg32 rng(42, 54);
    for (uint32_t want : {0xa15c02b7u, 0x7b47f409u, 0xba1d3330u, 0x83d2f293u, 0xbfa4784bu, 0xcbed606eu}) {
        EXPECT_EQ(rng.next_u32(), want);
    }
    for (int i = 0; i < 614; ++i) rng.next_u32();
    for (uint32_t want : {0xfcef7cd6u, 0x1b488b5au, 0xd0daf7eau, 0x1d9a70f7u, 0x241a37cfu, 0x9a3857b7u}) {
        EXPECT_EQ(rng.next_u32(), want);
    }
}

TEST(Pcg32, UniformIsTheTop24BitsScaled) {
    Pcg32 rng(42, 54);
    EXPECT_EQ(rng.uniform(), float(0xa15c02b7u >> 8) / 16777216.f);
    Pcg32 a(7), b(7), c(8);
    bool differs = false;
    for (int i = 0; i < 1000; ++i) {
        const float u = a.uniform();
        EXPECT_GE(u, 0.f);
        EXPECT_LT(u, 1.f);
        EXPECT_EQ(u, b.uniform());
        differs = differs || u != c.uniform();
    }
    EXPECT_TRUE(differs);
}

// ------------------------------------------------------------------------------------- logit processing
TEST(Sampling, RepetitionPenaltyDividesPositiveAndMultipliesNegativeOnce) {
    std::vector<float> logits = {2.f, -2.f, 1.f, 0.5f};
    std::vector<uint8_t> seen(4, 0);
    const std::vector<int32_t> history = {0, 1,  0,
                                          0, 99, -1};  // repeats count once; out-of-range ids ignored
    apply_repetition_penalty(logits, history, 2.f, seen);
    EXPECT_EQ(logits, (std::vector<float>{1.f, -4.f, 1.f, 0.5f}));
    EXPECT_EQ(seen, (std::vector<uint8_t>(4, 0)));
}

TEST(Sampling, TopKKeepsTiesAndTopPKeepsTheSmallestSetReachingP) {
    std::vector<int32_t> order(5);
    std::vector<float> values(5);
    std::vector<float> x = {1.f, 3.f, 2.f, 2.f, 0.f};
    sampling_distribution(x, {1.f, 2, 1.f}, order, values);  // k = 2: 3 and both 2s survive (ties kept)
    EXPECT_EQ(x[0], 0.f);
    EXPECT_EQ(x[4], 0.f);
    EXPECT_NEAR(x[1], std::exp(1.f) / (std::exp(1.f) + 2.f), 1e-6);
    EXPECT_NEAR(x[2], 1.f / (std::exp(1.f) + 2.f), 1e-6);

    std::vector<float> p = {std::log(0.2f), std::log(0.5f), std::log(0.3f)};
    sampling_distribution(std::span<float>(p), {1.f, 0, 0.6f}, order, values);  // 0.5 < 0.6, 0.5 + 0.3 >= 0.6
    EXPECT_NEAR(p[1], 0.5f / 0.8f, 1e-6);
    EXPECT_NEAR(p[2], 0.3f / 0.8f, 1e-6);
    EXPECT_EQ(p[0], 0.f);

    std::vector<float> t = {0.f, std::log(2.f)};
    sampling_distribution(std::span<float>(t), {0.5f, 0, 1.f}, order, values);  // T = 0.5 squares the ratio
    EXPECT_NEAR(t[1] / t[0], 4.f, 1e-5);
}

TEST(Sampling, DrawIsTheInverseCdfAndSkipsZeros) {
    const std::vector<float> p = {0.25f, 0.f, 0.75f, 0.f};
    EXPECT_EQ(draw(p, 0.f), 0u);
    EXPECT_EQ(draw(p, 0.2f), 0u);
    EXPECT_EQ(draw(p, 0.25f), 2u);
    EXPECT_EQ(draw(p, 0.999999f), 2u);
    // Frequencies follow the distribution.
    const std::vector<float> q = {0.1f, 0.2f, 0.3f, 0.4f};
    std::vector<int> count(4, 0);
    Pcg32 rng(123);
    const int n = 40000;
    for (int i = 0; i < n; ++i) ++count[draw(q, rng.uniform())];
    for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(double(count[i]) / n, q[i], 0.01) << i;
}

// ------------------------------------------------------------------------------------------- greedy
TEST(Greedy, PicksTheArgmaxAndReportsSoftmaxProbabilities) {
    auto r = run(flat_rule(), options(Strategy::greedy, 3));
    EXPECT_EQ(ids(r.result), (std::vector<int32_t>{A, A, A}));
    ASSERT_EQ(r.result.tokens.size(), 3u);
    const TokenRecord& t = r.result.tokens[0];
    EXPECT_EQ(t.text, "a");
    EXPECT_NEAR(t.prob, 0.4, 1e-5);
    ASSERT_EQ(t.top.size(), 5u);
    EXPECT_EQ(t.top[0].id, A);
    EXPECT_EQ(t.top[1].id, B);
    EXPECT_NEAR(t.top[1].prob, 0.3, 1e-5);
    EXPECT_EQ(t.top[3].id, D);
    EXPECT_FALSE(t.forced);
    EXPECT_EQ(r.result.completion, "aaa");
    EXPECT_NEAR(r.result.logprob, 3 * std::log(0.4), 1e-4);
}

TEST(Greedy, IsStepwiseWithOnePrefillAndOneForwardPerFurtherToken) {
    auto r = run(ends_after(1, 5), options(Strategy::greedy));
    EXPECT_EQ(ids(r.result), (std::vector<int32_t>{A, B, C, D, EOS}));
    ASSERT_EQ(r.events.size(), 5u);
    for (size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(r.events[i].index, i);
        EXPECT_EQ(r.events[i].token.id, r.result.tokens[i].id);
        EXPECT_EQ(r.events[i].done, i == 4);
    }
    EXPECT_EQ(r.counters->prefills, 1u);
    EXPECT_EQ(r.counters->steps, 4u);  // the eos is never fed back
    EXPECT_EQ(r.result.forward_passes, 5u);
    EXPECT_EQ(r.result.stop_reason, StopReason::eos);
    EXPECT_EQ(r.result.completion, "abcd");  // <eos> is a record but not text
    EXPECT_EQ(r.result.tokens.back().text, "<eos>");
    EXPECT_GE(r.result.ms, r.result.ttft_ms);
    EXPECT_GE(r.result.ttft_ms, r.result.prefill_ms);
}

TEST(Greedy, RepetitionPenaltyMovesAwayFromSeenTokens) {
    // Logits a = 2, b = 1.5, c = -1 (as raw logits, not log-probs).
    Rule rule = [](const std::vector<int32_t>&) {
        std::vector<float> l(V, -5.f);
        l[A] = 2.f;
        l[B] = 1.5f;
        l[C] = -1.f;
        return l;
    };
    DecodeOptions o = options(Strategy::greedy, 3);
    o.repetition_penalty = 2.f;
    auto r = run(rule, o);
    // step 1: nothing seen (but <bos>): a. step 2: a -> 1.0 < b 1.5: b. step 3: a 1.0, b 0.75: a.
    EXPECT_EQ(ids(r.result), (std::vector<int32_t>{A, B, A}));
    // The reported probability is the softmax of the penalised logits: step 2 has a = 1, b = 1.5.
    std::vector<float> l(V, -5.f);
    l[A] = 1.f;
    l[B] = 1.5f;
    l[C] = -1.f;
    l[BOS] = -10.f;  // <bos> is in the history too: -5 * 2
    double z = 0;
    for (float v : l) z += std::exp(double(v));
    EXPECT_NEAR(r.result.tokens[1].prob, std::exp(1.5) / z, 1e-5);
}

// ------------------------------------------------------------------------------------------ sampling
TEST(Sample, SameSeedSameTokensOtherSeedOtherTokens) {
    DecodeOptions o = options(Strategy::sample, 30);
    o.seed = 1234;
    const auto a = ids(run(flat_rule(), o).result), b = ids(run(flat_rule(), o).result);
    EXPECT_EQ(a, b);
    o.seed = 99;
    EXPECT_NE(a, ids(run(flat_rule(), o).result));
    bool varied = false;
    for (int32_t t : a) varied = varied || t != a[0];
    EXPECT_TRUE(varied);
}

TEST(Sample, ReproducesTheRngDrawsByHand) {
    DecodeOptions o = options(Strategy::sample, 10);
    o.seed = 5;
    const auto got = ids(run(flat_rule(), o).result);
    Pcg32 rng(5);
    for (size_t i = 0; i < got.size(); ++i) {
        const float u = rng.uniform();
        const int32_t want = u < 0.4f ? A : u < 0.7f ? B : u < 0.9f ? C : D;
        if (std::fabs(u - 0.4f) > 1e-4 && std::fabs(u - 0.7f) > 1e-4 && std::fabs(u - 0.9f) > 1e-4) {
            EXPECT_EQ(got[i], want) << i;
        }
    }
}

TEST(Sample, DegenerateSettingsEqualGreedy) {
    const auto greedy = ids(run(ends_after(1, 12), options(Strategy::greedy)).result);
    for (int seed = 0; seed < 5; ++seed) {
        DecodeOptions k1 = options(Strategy::sample);
        k1.seed = uint64_t(seed);
        k1.top_k = 1;
        EXPECT_EQ(ids(run(ends_after(1, 12), k1).result), greedy) << "top_k = 1, seed " << seed;
        DecodeOptions p = options(Strategy::sample);
        p.seed = uint64_t(seed);
        p.top_p = 1e-6f;
        EXPECT_EQ(ids(run(ends_after(1, 12), p).result), greedy) << "top_p tiny, seed " << seed;
        DecodeOptions t = options(Strategy::sample);
        t.seed = uint64_t(seed);
        t.temperature = atnat::decode::kMinTemperature;  // the coldest allowed
        EXPECT_EQ(ids(run(ends_after(1, 12), t).result), greedy) << "temperature small, seed " << seed;
    }
}

TEST(Sample, ReportsTheFilteredProbability) {
    DecodeOptions o = options(Strategy::sample, 5);
    o.top_k = 2;  // a 0.4, b 0.3 -> 4/7, 3/7
    auto r = run(flat_rule(), o);
    for (const auto& t : r.result.tokens) {
        ASSERT_TRUE(t.id == A || t.id == B);
        EXPECT_NEAR(t.prob, t.id == A ? 4.0 / 7 : 3.0 / 7, 1e-5);
        EXPECT_EQ(t.top[2].prob, 0.f);
    }
}

// ----------------------------------------------------------------------------------------------- beam
// Greedy is myopic here: a (0.6) then four-way uncertainty (0.25 each), vs b (0.4) then c (0.99); both end.
Rule myopic_rule() {
    return [](const std::vector<int32_t>& seq) {
        const size_t n = seq.size() - 1;
        if (n == 0) return from_probs({{A, 0.6f}, {B, 0.4f}});
        if (n == 1) {
            if (seq[1] == A) return from_probs({{A, 0.25f}, {B, 0.25f}, {C, 0.25f}, {D, 0.25f}});
            return from_probs({{C, 0.99f}, {D, 0.01f}});
        }
        return from_probs({{EOS, 1.f}});
    };
}

TEST(Beam, FindsAHigherScoringSequenceThanGreedy) {
    auto g = run(myopic_rule(), options(Strategy::greedy));
    EXPECT_EQ(ids(g.result), (std::vector<int32_t>{A, A, EOS}));
    DecodeOptions o = options(Strategy::beam);
    o.beam_width = 2;
    auto b = run(myopic_rule(), o);
    EXPECT_EQ(ids(b.result), (std::vector<int32_t>{B, C, EOS}));
    EXPECT_EQ(b.result.stop_reason, StopReason::eos);
    EXPECT_NEAR(b.result.logprob, std::log(0.4 * 0.99), 1e-4);
    EXPECT_GT(b.result.logprob, g.result.logprob);
    EXPECT_NEAR(b.result.score, std::log(0.4 * 0.99) / 3, 1e-4);  // α = 1: / len, eos included
    EXPECT_NEAR(b.result.tokens[1].prob, 0.99, 1e-4);
    ASSERT_FALSE(b.events.empty());
    EXPECT_EQ(b.events.back().kind, StepEvent::Kind::beam);
    EXPECT_TRUE(b.events.back().done);
}

TEST(Beam, WidthOneEqualsGreedy) {
    DecodeOptions o = options(Strategy::beam);
    o.beam_width = 1;
    o.length_penalty = 0.f;  // with α > 0 a width-1 beam may keep going past greedy's eos for a longer poem
    for (const Rule& rule : {myopic_rule(), ends_after(1, 7), flat_rule()}) {
        const auto greedy = run(rule, options(Strategy::greedy)).result;
        const auto beam = run(rule, o).result;
        EXPECT_EQ(ids(beam), ids(greedy));
        EXPECT_EQ(beam.stop_reason, greedy.stop_reason);
    }
    o.length_penalty = 1.f;  // greedy never ends: the same tokens for any α
    EXPECT_EQ(ids(run(flat_rule(), o).result), ids(run(flat_rule(), options(Strategy::greedy)).result));
}

TEST(Beam, StopsEarlyWhenNoLiveBeamCanWin) {
    // After "b c <eos>" (log 0.396 / 3 = -0.31 with α = 1)... with α = 0 the finished sum beats every live
    // sum.
    DecodeOptions o = options(Strategy::beam, 30);
    o.beam_width = 3;
    o.length_penalty = 0.f;
    auto r = run(myopic_rule(), o);
    EXPECT_EQ(ids(r.result), (std::vector<int32_t>{B, C, EOS}));
    EXPECT_EQ(r.events.size(), 3u);  // three steps, not thirty
    // 1 prefill + 2 steps × live beams (the first step has one beam, then up to 3)
    EXPECT_LE(r.result.forward_passes, 1u + 3u + 3u);
}

TEST(Beam, WidthEightOnAFlatModelHitsMaxTokens) {
    DecodeOptions o = options(Strategy::beam, 6);
    o.beam_width = 8;
    auto r = run(flat_rule(), o);
    EXPECT_EQ(r.result.stop_reason, StopReason::max_tokens);
    EXPECT_EQ(ids(r.result), std::vector<int32_t>(6, A));  // the most probable sequence
    EXPECT_EQ(r.events.size(), 6u);
}

// ------------------------------------------------------------------------------------- stop reasons
TEST(StopReasons, EachIsReached) {
    EXPECT_EQ(run(ends_after(1, 3), options(Strategy::greedy)).result.stop_reason, StopReason::eos);
    auto m = run(flat_rule(), options(Strategy::greedy, 4));
    EXPECT_EQ(m.result.stop_reason, StopReason::max_tokens);
    EXPECT_EQ(m.result.tokens.size(), 4u);
    // context 6, prompt 2: tokens at positions 2..5, then the context is full.
    auto c = run(flat_rule(), options(Strategy::greedy, 6), {BOS, A}, 6);
    EXPECT_EQ(c.result.stop_reason, StopReason::context_full);
    EXPECT_EQ(c.result.tokens.size(), 4u);
    EXPECT_EQ(c.counters->steps, 3u);  // the last token is never fed
    DecodeOptions s = options(Strategy::sample, 6);
    EXPECT_EQ(run(flat_rule(), s, {BOS, A}, 6).result.stop_reason, StopReason::context_full);
    DecodeOptions b = options(Strategy::beam, 6);
    b.beam_width = 3;
    EXPECT_EQ(run(flat_rule(), b, {BOS, A}, 6).result.stop_reason, StopReason::context_full);
    EXPECT_EQ(run(flat_rule(), b, {BOS, A}, 6).result.tokens.size(), 4u);
}

TEST(StopReasons, CancelKeepsWhatWasGenerated) {
    for (Strategy st : {Strategy::greedy, Strategy::sample, Strategy::beam}) {
        auto s = GenerationSession::create(std::make_unique<FakeLM>(flat_rule(), 32), tiny_tokenizer(), {BOS},
                                           options(st));
        ASSERT_TRUE(s.ok());
        ASSERT_TRUE(s->step().ok());
        ASSERT_TRUE(s->step().ok());
        s->cancel();
        EXPECT_TRUE(s->done());
        EXPECT_EQ(s->result().stop_reason, StopReason::cancelled);
        EXPECT_EQ(s->result().tokens.size(), 2u) << name_of(st);
        EXPECT_FALSE(s->step().ok());  // a done session refuses to step
        s->cancel();                   // idempotent
        EXPECT_EQ(s->result().stop_reason, StopReason::cancelled);
    }
}

TEST(StopReasons, AModelFailureEndsTheSessionWithAnError) {
    auto lm = std::make_unique<FakeLM>(flat_rule(), 32);
    lm->fail_at_ = 2;  // feeding the second generated token (the third step) fails
    auto s = GenerationSession::create(std::move(lm), tiny_tokenizer(), {BOS}, options(Strategy::greedy));
    ASSERT_TRUE(s.ok());
    EXPECT_TRUE(s->step().ok());
    EXPECT_TRUE(s->step().ok());
    auto ev = s->step();
    ASSERT_FALSE(ev.ok());
    EXPECT_EQ(ev.error(), "fake model failure");
    EXPECT_TRUE(s->done());
    EXPECT_EQ(s->result().stop_reason, StopReason::error);
    EXPECT_EQ(to_json(s->result())["error"], "fake model failure");
}

// ------------------------------------------------------------------------------------ forced tokens
TEST(Forced, EveryStrategyEmitsTheForcedToken) {
    for (Strategy st : {Strategy::greedy, Strategy::sample, Strategy::beam}) {
        DecodeOptions o = options(st, 6);
        o.forced = {{1, E}, {4, C}};  // sequence positions (the prompt <bos> is position 0)
        auto r = run(flat_rule(), o);
        const auto got = ids(r.result);
        ASSERT_EQ(got.size(), 6u) << name_of(st);
        EXPECT_EQ(got[0], E) << name_of(st);
        EXPECT_EQ(got[3], C) << name_of(st);
        EXPECT_TRUE(r.result.tokens[0].forced);
        EXPECT_FALSE(r.result.tokens[1].forced);
        EXPECT_NEAR(r.result.tokens[3].prob, 0.2, 1e-5);  // the model's probability of the forced token
        if (st == Strategy::greedy) {
            EXPECT_EQ(got[1], A);
        }
    }
}

TEST(Forced, ForcingEosStops) {
    DecodeOptions o = options(Strategy::greedy);
    o.forced = {{3, EOS}};
    auto r = run(flat_rule(), o);
    EXPECT_EQ(ids(r.result), (std::vector<int32_t>{A, A, EOS}));
    EXPECT_EQ(r.result.stop_reason, StopReason::eos);
}

// -------------------------------------------------------------------------------------------- picker
TEST(Picker, BannedIdsAreNeverPickedAndWeighNothing) {
    PickerSettings s;
    s.banned = {A};
    s.top_n = 3;
    auto p = TokenPicker::create(V, s);
    ASSERT_TRUE(p.ok()) << p.error();
    const std::vector<float> logits = from_probs({{A, 0.7f}, {B, 0.2f}, {C, 0.1f}});
    const Pick k = p->pick(logits);
    EXPECT_EQ(k.id, B);
    EXPECT_NEAR(k.prob, 2.f / 3.f, 1e-5) << "renormalised without the banned a";
    EXPECT_NEAR(k.logprob, std::log(0.2), 1e-5) << "the model's own log-probability";
    const TokenRecord r = p->record(*tiny_tokenizer(), k);
    ASSERT_EQ(r.top.size(), 3u);
    EXPECT_EQ(r.top[0].id, B);
    EXPECT_EQ(r.top[1].id, C);
    for (const TokenProb& t : r.top) EXPECT_NE(t.id, A);
    s.banned = {int32_t(V)};
    EXPECT_FALSE(TokenPicker::create(V, s).ok()) << "a banned id outside the vocabulary";
}

TEST(Picker, TheEosRuleHoldsOnlyWhileAForcedTokenLiesAhead) {
    PickerSettings s;
    s.eos = EOS;
    s.forced = {{5, C}};
    auto p = TokenPicker::create(V, s);
    ASSERT_TRUE(p.ok()) << p.error();
    const std::vector<float> logits = from_probs({{EOS, 0.6f}, {A, 0.4f}});
    const Pick before = p->pick(logits, 3);
    EXPECT_EQ(before.id, A) << "c is forced at 5: ending at 3 would drop it";
    EXPECT_NEAR(before.prob, 1.f, 1e-5);
    const Pick at = p->pick(logits, 5);
    EXPECT_EQ(at.id, C);
    EXPECT_TRUE(at.forced);
    EXPECT_EQ(p->pick(logits, 6).id, EOS) << "nothing forced after 5";
    std::vector<float> lp(V);
    p->log_probs(logits, 3, {}, lp);
    EXPECT_EQ(lp[size_t(EOS)], std::numeric_limits<float>::lowest()) << "beam: blocked after normalising";
    EXPECT_NEAR(lp[size_t(A)], std::log(0.4f), 1e-5);
}

TEST(Picker, AForcedPositionDrawsNothing) {
    PickerSettings s;
    s.sample = true;
    s.seed = 7;
    s.forced = {{1, B}};
    auto p = TokenPicker::create(V, s);
    ASSERT_TRUE(p.ok()) << p.error();
    const std::vector<float> logits = from_probs({{A, 0.5f}, {B, 0.5f}});
    Pcg32 rng(7);
    const float u = rng.uniform();
    EXPECT_EQ(p->pick(logits, 0).id, u < 0.5f ? A : B) << "position 0: one draw";
    EXPECT_EQ(p->pick(logits, 1).id, B);
    EXPECT_EQ(p->rng().next_u32(), rng.next_u32()) << "the forced position took no uniform";
    s.sampling.temperature = 0.f;
    EXPECT_FALSE(TokenPicker::create(V, s).ok()) << "sampling settings are checked";
}

// ---------------------------------------------------------------------------------------- validation
TEST(Validation, ImpossibleSettingsAreErrorsNamingTheSetting) {
    auto with = [](Strategy s, auto edit) {
        DecodeOptions o = options(s);
        edit(o);
        return create_error(flat_rule(), o);
    };
    EXPECT_NE(with(Strategy::sample, [](DecodeOptions& o) { o.temperature = 0; }).find("temperature"),
              std::string::npos);
    EXPECT_NE(with(Strategy::sample, [](DecodeOptions& o) { o.temperature = -1; }).find("temperature"),
              std::string::npos);
    EXPECT_EQ(with(Strategy::greedy, [](DecodeOptions& o) { o.temperature = 0; }), "");  // greedy ignores it
    EXPECT_NE(with(Strategy::sample, [](DecodeOptions& o) { o.top_p = 0; }).find("top_p"), std::string::npos);
    EXPECT_NE(with(Strategy::sample, [](DecodeOptions& o) { o.top_p = 1.5f; }).find("top_p"),
              std::string::npos);
    EXPECT_NE(with(Strategy::sample, [](DecodeOptions& o) { o.top_k = -1; }).find("top_k"),
              std::string::npos);
    EXPECT_NE(with(Strategy::beam, [](DecodeOptions& o) { o.beam_width = 0; }).find("beam"),
              std::string::npos);
    EXPECT_NE(with(Strategy::beam, [](DecodeOptions& o) { o.beam_width = 9; }).find("beam"),
              std::string::npos);
    EXPECT_NE(with(Strategy::greedy, [](DecodeOptions& o) { o.max_tokens = 0; }).find("max_tokens"),
              std::string::npos);
    EXPECT_NE(with(Strategy::greedy, [](DecodeOptions& o) { o.max_tokens = 33; }).find("max_tokens"),
              std::string::npos);
    EXPECT_NE(
        with(Strategy::greedy, [](DecodeOptions& o) { o.repetition_penalty = 0; }).find("repetition_penalty"),
        std::string::npos);
    // where float32 arithmetic stops meaning anything: logits / 1e-45 overflow, and so does logit / 1e-45
    EXPECT_EQ(with(Strategy::sample, [](DecodeOptions& o) { o.temperature = 1e-45f; }),
              "temperature = 1.4013e-45 is outside [0.01, 100] for sampling (for 0, use greedy decoding)");
    EXPECT_EQ(with(Strategy::sample, [](DecodeOptions& o) { o.temperature = 0.01f; }), "");
    EXPECT_EQ(with(Strategy::greedy, [](DecodeOptions& o) { o.repetition_penalty = 1e-45f; }),
              "repetition_penalty = 1.4013e-45 is outside [0.1, 10] (1 = off)");
    EXPECT_EQ(with(Strategy::greedy, [](DecodeOptions& o) { o.repetition_penalty = 1.3f; }), "");
    EXPECT_NE(with(Strategy::greedy,
                   [](DecodeOptions& o) {
                       o.forced = {{0, A}};
                   })
                  .find("forced"),
              std::string::npos);
    EXPECT_NE(with(Strategy::greedy,
                   [](DecodeOptions& o) {
                       o.forced = {{2, 99}};
                   })
                  .find("forced"),
              std::string::npos);
    EXPECT_NE(
        create_error(flat_rule(), options(Strategy::greedy), std::vector<int32_t>(32, BOS)).find("context"),
        std::string::npos);
    EXPECT_NE(create_error(flat_rule(), options(Strategy::greedy), {}).find("prompt"), std::string::npos);
    EXPECT_NE(create_error(flat_rule(), options(Strategy::greedy), {BOS, 42}).find("vocabulary"),
              std::string::npos);
}

// --------------------------------------------------------------------------------------------- JSON
TEST(Report, RequestParsingValidatesAndRoundTrips) {
    auto r = request_from_json_text<GenerateRequest>(
        R"({"prompt": "春", "form": "wuyan-jueju", "strategy": "sample",
        "temperature": 0.8, "top_k": 40, "top_p": 0.9, "repetition_penalty": 1.2, "seed": 7, "max_tokens": 64,
        "constraints": [{"position": 6, "text": "花"}]})");
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_EQ(r->strategy, Strategy::sample);
    EXPECT_EQ(r->top_k, 40);
    EXPECT_FLOAT_EQ(r->temperature, 0.8f);
    EXPECT_EQ(r->seed, 7u);
    EXPECT_EQ(r->max_tokens.value(), 64u);
    ASSERT_EQ(r->constraints.size(), 1u);
    EXPECT_EQ(r->constraints[0].text, "花");
    const nlohmann::json back = to_json(*r);
    EXPECT_EQ(back["temperature"], 0.8);  // float printed by its shortest spelling
    auto again = request_from_json<GenerateRequest>(back);
    ASSERT_TRUE(again.ok()) << again.error();
    EXPECT_EQ(to_json(*again), back);
    EXPECT_TRUE(request_from_json_text<GenerateRequest>("{}").ok());
    EXPECT_EQ(request_from_json_text<GenerateRequest>("{}")->strategy, Strategy::greedy);
}

TEST(Report, FloatsArePrintedByTheirShortestSpellingAndReadBackExactly) {
    const std::map<float, std::string> cases = {{0.41f, "0.41"},
                                                {0.1f, "0.1"},
                                                {-2.5f, "-2.5"},
                                                {1.f, "1.0"},
                                                {0.f, "0.0"},
                                                {1e-30f, "1e-30"},
                                                {3.4028235e38f, "3.4028235e+38"},
                                                {1e-45f, "1e-45"},
                                                {0.032226563f, "0.032226563"},
                                                {1234567.f, "1234567.0"}};
    for (const auto& [x, want] : cases) EXPECT_EQ(json_float(x).dump(), want) << want;
    EXPECT_TRUE(json_float(std::numeric_limits<float>::quiet_NaN()).is_null());
    EXPECT_TRUE(json_float(std::numeric_limits<float>::infinity()).is_null());
    // every float reads back as itself, in and far outside the exact range of one multiply (|exponent| <= 22)
    Pcg32 rng(7, 1);
    for (int i = 0; i < 100000; ++i) {
        const float x =
            i % 2 ? rng.uniform() : std::ldexp(rng.uniform() - 0.5f, int(rng.uniform() * 250) - 125);
        const std::string text = json_float(x).dump();
        EXPECT_EQ(std::strtof(text.c_str(), nullptr), x) << text;
    }
}

TEST(Report, RequestErrorsAreSentences) {
    const std::map<std::string, std::string> cases = {
        {R"({"strategy": "nucleus"})", "unknown strategy 'nucleus'"},
        {R"({"strategy": "sample", "temperature": 0})", "temperature = 0 is outside [0.01, 100]"},
        {R"({"strategy": "sample", "temperature": 1e-45})",
         "temperature = 1.4013e-45 is outside [0.01, 100]"},
        {R"({"repetition_penalty": 1e-45})", "repetition_penalty = 1.4013e-45 is outside [0.1, 10]"},
        {R"({"top_p": 0})", "top_p = 0 is outside (0, 1]"},
        {R"({"top_p": 1.5})", "top_p = 1.5 is outside (0, 1]"},
        {R"({"top_k": -3})", "top_k = -3 must be >= 0"},
        {R"({"beam": 9})", "beam = 9 is outside [1, 8]"},
        {R"({"beam": 0})", "beam = 0 is outside [1, 8]"},
        {R"({"max_tokens": 0})", "max_tokens = 0 must be >= 1"},
        {R"({"temprature": 1})", "unknown request key 'temprature'"},
        {R"({"top_k": "40"})", "top_k must be an integer"},
        {R"({"beam": 2.5})", "beam must be an integer"},
        {R"({"constraints": [{"position": -1, "text": "a"}]})", "constraint position"},
        {R"([1, 2])", "must be a JSON object"},
        {R"({"prompt": )", "the generate request is not valid UTF-8 JSON"},
    };
    for (const auto& [text, want] : cases) {
        auto r = request_from_json_text<GenerateRequest>(text);
        ASSERT_FALSE(r.ok()) << text;
        EXPECT_NE(r.error().find(want), std::string::npos) << text << " -> " << r.error();
    }
    EXPECT_TRUE(
        request_from_json_text<GenerateRequest>(R"({"beam": 4.0, "seed": 18446744073709551615})").ok());
}

TEST(Report, OptionTextAndJsonAreReadByTheSameTable) {
    // The CLI's option values (read_text) and a JSON request give the same request, field for field.
    const std::map<std::string, std::string> options = {{"prompt", "春"},
                                                        {"strategy", "beam"},
                                                        {"top_k", "40"},
                                                        {"top_p", "0.9"},
                                                        {"seed", "18446744073709551615"},
                                                        {"max_tokens", "64"},
                                                        {"constraints", "6:花,12:月"}};
    GenerateRequest from_text;
    Status st;
    GenerateRequest::fields(from_text, [&](const FieldSpec& f, auto&... member) {
        const auto it = options.find(f.name);
        if (st && it != options.end()) st = read_text(it->second, f, member...);
    });
    ASSERT_TRUE(st.ok()) << st.error();
    auto from_json = request_from_json_text<GenerateRequest>(
        R"({"prompt": "春", "strategy": "beam", "top_k": 40, "top_p": 0.9, "seed": 18446744073709551615,
            "max_tokens": 64, "constraints": [{"position": 6, "text": "花"}, {"position": 12, "text": "月"}]})");
    ASSERT_TRUE(from_json.ok()) << from_json.error();
    EXPECT_EQ(to_json(from_text), to_json(*from_json));
    // and reject alike
    const FieldSpec beam{"beam", "W", "", 1, 8};
    int32_t w = 0;
    EXPECT_EQ(read_text("9", beam, w).error(), "beam = 9 is outside [1, 8]");
    EXPECT_EQ(read_json(nlohmann::json(9), beam, w).error(), "beam = 9 is outside [1, 8]");
    EXPECT_EQ(read_text("2.5", beam, w).error(), "beam must be an integer in [1, 8], found '2.5'");
    Strategy strategy{};
    EXPECT_EQ(read_text("nucleus", FieldSpec{"strategy", "", ""}, strategy).error(),
              "unknown strategy 'nucleus' (known: greedy, sample, beam)");
    std::vector<Constraint> constraints;
    EXPECT_FALSE(read_text("6", FieldSpec{"constraints", "", ""}, constraints).ok());
}

TEST(Report, EventAndResultShapes) {
    auto r = run(ends_after(1, 3), options(Strategy::greedy));
    const nlohmann::json ev = to_json(r.events[0]);
    EXPECT_EQ(ev["type"], "token");
    EXPECT_EQ(ev["index"], 0);
    EXPECT_EQ(ev["text"], "a");
    EXPECT_EQ(ev["top"].size(), 5u);
    EXPECT_EQ(ev["done"], false);
    EXPECT_EQ(to_json(r.events.back())["done"], true);
    const nlohmann::json res = to_json(r.result);
    for (const char* key :
         {"text", "completion", "tokens", "stop_reason", "forward_passes", "ms", "tokens_per_s", "prefill_ms",
          "ttft_ms", "decode_tokens_per_s", "prompt_tokens", "unknown_chars"}) {
        EXPECT_TRUE(res.contains(key)) << key;
    }
    EXPECT_EQ(res["stop_reason"], "eos");
    EXPECT_EQ(res["tokens"].size(), 3u);
    EXPECT_FALSE(res.contains("error"));
    DecodeOptions b = options(Strategy::beam);
    b.beam_width = 2;
    const nlohmann::json bev = to_json(run(myopic_rule(), b).events[0]);
    EXPECT_EQ(bev["type"], "beam");
    EXPECT_EQ(bev["step"], 0);
    EXPECT_EQ(bev["text"], "a");
    EXPECT_EQ(dump_json(nlohmann::json("\xff")), "\"\xEF\xBF\xBD\"");  // invalid UTF-8 never throws
}

}  // namespace
}  // namespace atnat::decode

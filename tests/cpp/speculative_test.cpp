// Speculative decoding (core/decode/speculative.*): the hybrid, CMLM drafts checked by poet-at, equal to AT
// greedy token for token (prob and top-n included) on the tiny models of poets.hpp and on the real poet-at
// and poet-nat exports with real prompts; what it refuses; its JSON.
#include "core/decode/speculative.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "core/decode/nat.hpp"
#include "core/decode/report.hpp"
#include "core/decode/text_model.hpp"
#include "tests/cpp/poets.hpp"

namespace atnat {
namespace {

using decode::NatMode;
using decode::NatRequest;
using nlohmann::json;
using namespace atnat::test;

decode::HybridResult hybrid(const decode::TextModel& at, const decode::NatModel& nat, const NatRequest& req) {
    auto s = decode::HybridSession::create(at, nat, req);
    EXPECT_TRUE(s.ok()) << (s ? "" : s.error());
    if (!s) return {};
    size_t rounds = 0;
    while (!s->done()) {
        auto ev = s->step();
        EXPECT_TRUE(ev.ok()) << (ev ? "" : ev.error());
        if (!ev) break;
        EXPECT_EQ(ev->index, rounds++);
    }
    return s->result();
}

// The hybrid against AT greedy on the AT request carrying the same constraints: same tokens, same records.
decode::HybridResult expect_hybrid_equals_greedy(const decode::TextModel& at, const decode::NatModel& nat,
                                                 const NatRequest& req) {
    auto plan = decode::plan_poem(nat, req);
    EXPECT_TRUE(plan.ok()) << (plan ? "" : plan.error());
    if (!plan) return {};
    decode::GenerateRequest greedy = decode::at_request(*plan, *nat.tokenizer);
    greedy.repetition_penalty = req.repetition_penalty;
    const auto g = at_greedy(at, greedy);
    const auto h = hybrid(at, nat, req);
    EXPECT_EQ(h.text, g.text);
    EXPECT_EQ(h.stop_reason, g.stop_reason);
    EXPECT_EQ(h.tokens.size(), g.tokens.size());
    for (size_t i = 0; i < std::min(h.tokens.size(), g.tokens.size()); ++i) {
        EXPECT_EQ(h.tokens[i].id, g.tokens[i].id) << i;
        EXPECT_EQ(h.tokens[i].prob, g.tokens[i].prob) << i;  // the same logits, bit for bit
        EXPECT_EQ(h.tokens[i].forced, g.tokens[i].forced) << i;
        EXPECT_EQ(h.tokens[i].top.size(), g.tokens[i].top.size());
        for (size_t k = 0; k < std::min(h.tokens[i].top.size(), g.tokens[i].top.size()); ++k)
            EXPECT_EQ(h.tokens[i].top[k].id, g.tokens[i].top[k].id);
    }
    EXPECT_NEAR(h.logprob, g.logprob, 1e-9);
    EXPECT_EQ(h.at_greedy_passes, g.forward_passes);
    EXPECT_EQ(h.saved_passes, (long long)g.forward_passes - (long long)h.at_passes);
    EXPECT_EQ(h.forward_passes, h.at_passes + h.nat_passes);
    EXPECT_EQ(h.at_passes, h.rounds.size());
    EXPECT_LE(h.accepted, h.drafted);
    EXPECT_GE(h.nat_passes, 1u);
    for (const auto& r : h.rounds) EXPECT_LE(r.drafted, req.draft_tokens.value_or(decode::kDraftTokens));
    return h;
}

TEST(Hybrid, EqualsAtGreedyOnTinyModels) {
    const auto at = tiny_at();
    const auto nat = tiny_nat();
    for (const char* prompt : {"", "春", "春花，", "山水风雨月"}) {
        for (size_t iterations : {1, 3}) {
            NatRequest req;
            req.strategy = decode::NatStrategy::hybrid;
            req.form = "wuyan-jueju";
            req.prompt = prompt;
            req.iterations = iterations;
            SCOPED_TRACE(std::string(prompt) + " T=" + std::to_string(iterations));
            expect_hybrid_equals_greedy(at, nat, req);
        }
    }
    NatRequest acro;
    acro.form = "wuyan-jueju";
    acro.acrostic = "春夏秋冬";
    expect_hybrid_equals_greedy(at, nat, acro);
    NatRequest fixed;
    fixed.form = "free";
    fixed.mode = NatMode::fixed;
    fixed.prompt = "月";
    expect_hybrid_equals_greedy(at, nat, fixed);
    NatRequest blank;
    blank.form = "wuyan-jueju";
    blank.blank_text = "春花_月风，山_水□雨。\n秋__风雨，冬月山□风。";
    expect_hybrid_equals_greedy(at, nat, blank);
}

// Any draft window, and AT's repetition penalty: still AT greedy's poem (with that penalty), token for token.
TEST(Hybrid, EqualsAtGreedyForEveryDraftWindowAndPenalty) {
    const auto at = tiny_at();
    const auto nat = tiny_nat();
    for (size_t k : {1, 2, 5, 200}) {
        for (float penalty : {1.f, 1.3f, 3.f}) {
            NatRequest req;
            req.strategy = decode::NatStrategy::hybrid;
            req.form = "wuyan-jueju";
            req.prompt = "春";
            req.draft_tokens = k;
            req.repetition_penalty = penalty;
            SCOPED_TRACE("K=" + std::to_string(k) + " penalty " + std::to_string(penalty));
            const auto h = expect_hybrid_equals_greedy(at, nat, req);
            if (k == 1) EXPECT_EQ(h.drafted, h.rounds.size());
        }
    }
    // The penalty is applied: the same request scores differently with it (the prompt's characters are
    // penalised from the first token on).
    NatRequest plain, penalised;
    plain.strategy = penalised.strategy = decode::NatStrategy::hybrid;
    plain.form = penalised.form = "wuyan-jueju";
    plain.prompt = penalised.prompt = "春花，";
    penalised.repetition_penalty = 3.f;
    EXPECT_NE(hybrid(at, nat, plain).logprob, hybrid(at, nat, penalised).logprob);
    // Mask-predict has no draft: refused rather than ignored.
    NatRequest nat_only;
    nat_only.draft_tokens = 3;
    EXPECT_NE(decode::check(nat_only).error().find("hybrid"), std::string::npos);
}

TEST(Hybrid, RejectsWhatItCannotReproduce) {
    const auto at = tiny_at();
    const auto nat = tiny_nat();
    NatRequest req;
    req.decoding = decode::Decoding::sample;
    auto s = decode::HybridSession::create(at, nat, req);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().find("argmax"), std::string::npos);
    req.decoding = decode::Decoding::argmax;
    req.length_beam = 2;
    s = decode::HybridSession::create(at, nat, req);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().find("length_beam must be 1"), std::string::npos);
    // Prompt guidance changes what mask-predict writes, never AT greedy's output: refused, not ignored.
    req.length_beam = 1;
    req.guidance = 1.f;
    s = decode::HybridSession::create(at, nat, req);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().find("guidance is mask-predict's"), std::string::npos);
    req.strategy = decode::NatStrategy::hybrid;
    EXPECT_NE(decode::check(req).error().find("guidance is mask-predict's"), std::string::npos);
    // Different tokenizers.
    json tok = tokenizer_json();
    tok["tokens"][21] = "雪";
    auto other =
        decode::TextModel::load(write_weights("gpt", TinyModels().config, TinyModels::random(3, false), tok));
    ASSERT_TRUE(other.ok()) << other.error();
    s = decode::HybridSession::create(*other, nat, NatRequest{});
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().find("share the tokenizer: token 21"), std::string::npos);
    // JSON of a finished run.
    NatRequest ok;
    ok.prompt = "春";
    const auto h = hybrid(at, nat, ok);
    const json j = decode::to_json(h);
    EXPECT_EQ(j["strategy"], "hybrid");
    EXPECT_EQ(j["rounds"].size(), h.rounds.size());
    EXPECT_EQ(j["at_passes"], h.at_passes);
    EXPECT_TRUE(j.contains("saved_passes"));
}

TEST_F(PoetNatGolden, HybridEqualsPoetAtGreedyOnRealPrompts) {
    auto aw = read_bytes(fixture_path("ATNAT_POET_AT_MODEL", "models/poet-at/model.safetensors"));
    auto prompts = read_bytes(std::string(ATNAT_SOURCE_DIR) + "/models/data/poetry/test_prompts.txt");
    if (!aw || !prompts) GTEST_SKIP() << "no poet-at model or test prompts";
    auto at = decode::TextModel::load(std::move(*aw));
    ASSERT_TRUE(at.ok()) << at.error();
    std::string text(prompts->begin(), prompts->end());
    size_t done = 0, at_passes = 0, greedy = 0, accepted = 0;
    for (size_t pos = 0; pos < text.size() && done < 4;) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        const std::string line = text.substr(pos, end - pos);
        pos = end + 1;
        const size_t tab = line.find('\t');
        if (tab == std::string::npos) continue;
        NatRequest req;
        req.form = line.substr(0, tab);
        req.prompt = line.substr(tab + 1);
        req.iterations = done == 1 ? 3 : 1;
        req.repetition_penalty = done == 2 ? 1.2f : 1.f;            // the page's default penalty
        req.draft_tokens = done == 3 ? 128 : decode::kDraftTokens;  // the whole rest, or the default window
        SCOPED_TRACE(line);
        const auto h = expect_hybrid_equals_greedy(*at, *model, req);
        at_passes += h.at_passes;
        greedy += h.at_greedy_passes;
        accepted += h.accepted;
        ++done;
    }
    NatRequest acro;
    acro.form = "qiyan-jueju";
    acro.acrostic = "春夏秋冬";
    expect_hybrid_equals_greedy(*at, *model, acro);
    EXPECT_LT(at_passes, greedy);  // drafts do get accepted (punctuation and line breaks at least)
    std::printf("[ golden ] hybrid: %zu AT passes for %zu tokens (%zu draft tokens accepted)\n", at_passes,
                greedy, accepted);
}

}  // namespace
}  // namespace atnat

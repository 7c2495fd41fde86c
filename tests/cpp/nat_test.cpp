// Non-autoregressive decoding (core/decode/nat.*, core/models/cmlm.*) and its JSON
// (core/decode/report.*, request.*):
//  - the Mask-Predict schedule;
//  - the tiny random-weight CMLM and GPT of poets.hpp: pass-by-pass schedule counts and re-masking of the
//    least confident, one-pass fill = argmax of a forward_all, given positions never masked, acrostic /
//    fill-in-the-blank / layout constraints (NAT and the AT request built from them), length beam, fixed
//    mode, seeded sampling, the repetition penalty on the canvas, prompt guidance, cancel, bad settings as
//    clear errors, JSON shapes;
//  - the real poet-nat export against its PyTorch fixture (tests/fixtures/poet-nat-golden.json, written by
//    models/poet-nat/export.py): logits and length logits within 1e-4, the one-pass fills and the top-5
//    lengths exactly;
//  - a tiny CMLM exported with "length_prompt": true against PyTorch's CMLM.length_logits
//    (tests/fixtures/weights/poet-nat-tiny.*, written by tests/fixtures/make_weight_fixtures.py): the length
//    pass forwards the prompt, and its distribution is PyTorch's for every prompt.
// The hybrid is tested in speculative_test.cpp, forms and metrics in poem_test.cpp.
#include "core/decode/nat.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/decode/metrics.hpp"
#include "core/decode/report.hpp"
#include "core/decode/rng.hpp"
#include "core/decode/text_model.hpp"
#include "core/models/cmlm.hpp"
#include "core/ops/ops.hpp"
#include "tests/cpp/poets.hpp"

namespace atnat {
namespace {

using decode::LengthSource;
using decode::NatMode;
using decode::NatRequest;
using decode::NatSession;
using nlohmann::json;
using namespace atnat::test;

// The tiny vocabulary's id of a token, and the ids a pick may take: "\n" (5) and ids 10.. ("，" "。" and the
// characters); the specials 0-4 and 6-9 are never chosen.
int32_t id_of(const std::string& text) {
    return int32_t(std::find(kTokens.begin(), kTokens.end(), text) - kTokens.begin());
}
bool allowed(size_t v) {
    return v == 5 || v >= 10;
}

// What a recorded wuyan-jueju pass read: <len> <form>, then <mask> where it predicted and its (unchanged)
// tokens elsewhere.
std::vector<int32_t> pass_input(const decode::NatPass& pass) {
    std::vector<int32_t> seq = {kLen, kWuyan};
    for (size_t p = 0; p < 25; ++p) {
        const bool masked = std::find(pass.masked.begin(), pass.masked.end(), p) != pass.masked.end();
        seq.push_back(masked ? kMask : id_of(pass.slots[p]));
    }
    return seq;
}

// ------------------------------------------------------------------------------------- pure functions
TEST(MaskPredictSchedule, RemasksFloorOfMTimesRemainingOverT) {
    // M = 20, T = 10: 18, 16, ..., 2, then 0 after the last pass.
    for (size_t t = 1; t <= 10; ++t) EXPECT_EQ(decode::remask_count(20, 10, t), 20 * (10 - t) / 10) << t;
    EXPECT_EQ(decode::remask_count(20, 10, 1), 18u);
    EXPECT_EQ(decode::remask_count(20, 10, 9), 2u);
    EXPECT_EQ(decode::remask_count(20, 10, 10), 0u);
    // M = 25, T = 4: 18, 12, 6, 0.
    EXPECT_EQ(decode::remask_count(25, 4, 1), 18u);
    EXPECT_EQ(decode::remask_count(25, 4, 2), 12u);
    EXPECT_EQ(decode::remask_count(25, 4, 3), 6u);
    EXPECT_EQ(decode::remask_count(25, 4, 4), 0u);
    // Few positions, many passes: 3 · (10 − t) / 10 reaches 0 after pass 7 (decoding stops early).
    const size_t expected[] = {2, 2, 2, 1, 1, 1, 0};
    for (size_t t = 1; t <= 7; ++t) EXPECT_EQ(decode::remask_count(3, 10, t), expected[t - 1]) << t;
    EXPECT_EQ(decode::remask_count(5, 1, 1), 0u);  // T = 1: one pass
    EXPECT_EQ(decode::remask_count(5, 0, 0), 0u);
}

TEST(Cmlm, LoaderValidatesTheLengthHeadAndConfig) {
    TinyModels t;
    auto wf = io::WeightFile::parse(t.cmlm_bytes());
    ASSERT_TRUE(wf.ok()) << wf.error();
    auto c = models::load_cmlm(*wf);
    ASSERT_TRUE(c.ok()) << c.error();
    EXPECT_EQ(c->max_len, kMaxLen);
    EXPECT_EQ(c->max_len_fixed, kMaxLenFixed);
    EXPECT_FALSE(c->transformer.config.causal);
    EXPECT_EQ(c->length_head.shape(0), kMaxLen + 1);
    EXPECT_FALSE(c->length_prompt);  // no "length_prompt" key: the head was trained on <len> <form> alone
    json prompted = t.cmlm_config();
    prompted["length_prompt"] = true;
    auto pf = io::WeightFile::parse(write_weights("cmlm", prompted, TinyModels::random(7, true)));
    ASSERT_TRUE(pf.ok()) << pf.error();
    EXPECT_TRUE(models::load_cmlm(*pf)->length_prompt);

    auto error = [&](const std::string& arch, json config, std::vector<TensorSpec> ts,
                     json tok = tokenizer_json()) {
        auto f = io::WeightFile::parse(write_weights(arch, config, ts, tok));
        if (!f) return "parse: " + f.error();
        auto m = decode::NatModel::load(*f);
        return m ? std::string() : m.error();
    };
    EXPECT_EQ(error("cmlm", t.cmlm_config(), TinyModels::random(7, true)), "");
    EXPECT_NE(error("gpt", t.config, TinyModels::random(7, false)).find("not a conditional masked LM"),
              std::string::npos);
    EXPECT_NE(error("cmlm", t.cmlm_config(), TinyModels::random(7, false)).find("length_head"),
              std::string::npos);
    json big = t.cmlm_config();
    big["max_len"] = kContext - 1;  // 2 + max_len must fit the context
    EXPECT_NE(error("cmlm", big, TinyModels::random(7, true)).find("max_len"), std::string::npos);
    json none = t.cmlm_config();
    none.erase("max_len_fixed");
    EXPECT_NE(error("cmlm", none, TinyModels::random(7, true)).find("max_len_fixed"), std::string::npos);
    EXPECT_NE(error("cmlm", t.cmlm_config(), TinyModels::random(7, true), tokenizer_json(false)).find("len"),
              std::string::npos);
    prompted["length_prompt"] = "yes";
    EXPECT_EQ(error("cmlm", prompted, TinyModels::random(7, true)),
              "cmlm config 'length_prompt' must be true or false, found a string");
}

TEST(Cmlm, LengthLogitsAreTheHeadOnPositionZero) {
    const auto m = tiny_nat();
    const auto& cm = *m.cmlm;
    auto state = models::make_state(cm.transformer);
    const std::vector<int32_t> prefix = {kLen, kWuyan};
    ASSERT_TRUE(models::forward_all(cm.transformer, state, prefix).ok());
    std::vector<float> got(kMaxLen + 1);
    models::length_logits(cm, state, got);
    for (size_t L = 0; L <= kMaxLen; ++L) {
        double want = 0;
        for (size_t i = 0; i < kD; ++i) want += double(cm.length_head(L, i)) * double(state.xb(0, i));
        EXPECT_NEAR(got[L], want, 1e-5) << L;
    }
}

TEST(NatSession, OnePassIsTheArgmaxOfOneForward) {
    const auto m = tiny_nat();
    auto r = run(m, wuyan(1));
    ASSERT_EQ(r.result.passes.size(), 1u);
    EXPECT_EQ(r.result.forward_passes, 1u);  // the length comes from the form: no length pass
    EXPECT_EQ(r.result.length, 25u);
    EXPECT_EQ(r.result.length_source, LengthSource::form);
    EXPECT_EQ(r.result.stop_reason, decode::StopReason::length);
    std::vector<int32_t> seq = {kLen, kWuyan};
    seq.resize(27, kMask);
    auto state = models::make_state(m.cmlm->transformer);
    auto logits = models::forward_all(m.cmlm->transformer, state, seq);
    ASSERT_TRUE(logits.ok());
    ASSERT_EQ(r.ids.size(), 25u);
    for (size_t p = 0; p < 25; ++p) {
        const float* row = logits->data() + (2 + p) * kV;
        size_t best = 5;
        for (size_t v = 10; v < kV; ++v) best = row[v] > row[best] ? v : best;
        EXPECT_EQ(r.ids[p], int32_t(best)) << p;
        // The confidence is the softmax probability of the chosen token among them.
        float mx = row[best];
        double z = 0;
        for (size_t v = 0; v < kV; ++v) z += allowed(v) ? std::exp(double(row[v] - mx)) : 0.0;
        EXPECT_NEAR(r.result.passes[0].confidence[p], 1.0 / z, 1e-6);
        EXPECT_EQ(r.result.tokens[p].id, r.ids[p]);
        EXPECT_FALSE(r.result.tokens[p].forced);
    }
    EXPECT_EQ(r.result.tokens.size(), 25u);
    EXPECT_EQ(r.result.passes[0].masked.size(), 25u);
}

TEST(NatSession, MaskPredictRemasksTheLeastConfident) {
    const auto m = tiny_nat();
    NatRequest req = wuyan(4);
    req.prompt = "春花";  // 2 given positions: M = 23
    auto r = run(m, req);
    const auto& passes = r.result.passes;
    ASSERT_EQ(passes.size(), 4u);
    EXPECT_EQ(r.result.iterations, 4u);
    EXPECT_EQ(r.result.forward_passes, 4u);
    const size_t M = 23;
    EXPECT_EQ(passes[0].masked.size(), M);
    for (size_t t = 1; t < 4; ++t) {
        EXPECT_EQ(passes[t].masked.size(), decode::remask_count(M, 4, t)) << t;
        // Pass t+1 predicts exactly the n least confident positions after pass t.
        std::vector<size_t> order;
        for (size_t p = 2; p < 25; ++p) order.push_back(p);
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
            return passes[t - 1].confidence[a] < passes[t - 1].confidence[b];
        });
        order.resize(passes[t].masked.size());
        std::sort(order.begin(), order.end());
        EXPECT_EQ(passes[t].masked, order) << t;
        // Positions not re-masked keep their token and confidence.
        for (size_t p = 0; p < 25; ++p) {
            if (std::find(passes[t].masked.begin(), passes[t].masked.end(), p) != passes[t].masked.end())
                continue;
            EXPECT_EQ(passes[t].slots[p], passes[t - 1].slots[p]) << t << " " << p;
            if (p >= 2) {
                EXPECT_EQ(passes[t].confidence[p], passes[t - 1].confidence[p]) << t << " " << p;
            }
        }
    }
    for (const auto& p : passes) {  // the prompt is never masked and has no confidence
        EXPECT_EQ(p.slots[0], "春");
        EXPECT_EQ(p.slots[1], "花");
        EXPECT_TRUE(std::isnan(p.confidence[0]));
        EXPECT_EQ(p.masked.front() >= 2, true);
    }
    EXPECT_EQ(r.result.text.rfind("春花", 0), 0u);
    EXPECT_EQ(r.result.tokens.size(), 23u);  // the positions after the prompt
    EXPECT_EQ(r.result.prompt_tokens, 4u);
    // The result's log-probability is the last confidences' sum.
    double lp = 0;
    for (size_t p = 2; p < 25; ++p) lp += std::log(double(passes.back().confidence[p]));
    EXPECT_NEAR(r.result.logprob, lp, 1e-9);
    EXPECT_NEAR(r.result.score, lp / 23, 1e-9);
    // Events: one per pass, the last one done.
    ASSERT_EQ(r.events.size(), 4u);
    EXPECT_TRUE(r.events.back().done);
    EXPECT_EQ(r.events[2].pass.masked, passes[2].masked);
}

TEST(NatSession, StopsEarlyWhenNothingIsLeftToRemask) {
    const auto m = tiny_nat();
    NatRequest req;
    req.form = "free";
    req.length = LengthSource::given;
    req.given_length = 5;
    req.prompt = "春花";  // M = 3: 2, 2, 2, 1, 1, 1, 0 -> 7 passes of T = 10
    req.iterations = 10;
    auto r = run(m, req);
    EXPECT_EQ(r.result.iterations, 7u);
    ASSERT_EQ(r.result.passes.size(), 7u);
    const size_t sizes[] = {3, 2, 2, 2, 1, 1, 1};
    for (size_t t = 0; t < 7; ++t) EXPECT_EQ(r.result.passes[t].masked.size(), sizes[t]) << t;
}

TEST(NatSession, PredictedLengthsAndTheLengthBeam) {
    const auto m = tiny_nat();
    NatRequest req;
    req.form = "free";
    req.iterations = 2;
    req.length_beam = 3;
    req.prompt = "春夏秋冬花";  // lengths < 5 cannot hold it
    auto r = run(m, req);
    ASSERT_FALSE(r.events.empty());
    EXPECT_EQ(r.events[0].kind, decode::NatEvent::Kind::length);
    const auto& cands = r.result.length_candidates;
    ASSERT_EQ(cands.size(), 5u);
    for (size_t i = 1; i < cands.size(); ++i) EXPECT_GE(cands[i - 1].logprob, cands[i].logprob);
    for (const auto& c : cands) EXPECT_GE(c.length, 5u);
    EXPECT_EQ(r.events[0].decoding.size(), 3u);
    ASSERT_EQ(r.result.beams.size(), 3u);
    EXPECT_EQ(r.result.forward_passes, 1u + 3 * 2);  // the length pass + 3 candidates × 2 passes
    // The kept candidate has the best average log-probability.
    double best = -1e300;
    for (const auto& b : r.result.beams) best = std::max(best, b.avg_logprob);
    EXPECT_DOUBLE_EQ(r.result.score, best);
    bool found = false;
    for (const auto& b : r.result.beams)
        found = found || (b.length == r.result.length && b.avg_logprob == best);
    EXPECT_TRUE(found);
    EXPECT_EQ(r.result.length_source, LengthSource::predicted);
    // The length head's log-probabilities: log-softmax of length_head · h[0] over a 2-token forward (the
    // file has no "length_prompt": the prompt is not forwarded).
    auto state = models::make_state(m.cmlm->transformer);
    ASSERT_TRUE(models::forward_all(m.cmlm->transformer, state, std::vector<int32_t>{kLen, kFree}).ok());
    std::vector<float> lp(kMaxLen + 1);
    models::length_logits(*m.cmlm, state, lp);
    ops::log_softmax(lp.data(), lp.size());
    for (const auto& c : cands) EXPECT_NEAR(c.logprob, lp[c.length], 1e-6);
}

TEST(NatSession, FixedModeCutsAtTheFirstEos) {
    const auto m = tiny_nat();
    NatRequest req;
    req.form = "wuyan-jueju";
    req.mode = NatMode::fixed;
    req.iterations = 3;
    auto r = run(m, req);
    ASSERT_EQ(r.ids.size(), kMaxLenFixed);
    EXPECT_EQ(r.result.length_source, LengthSource::eos);
    const auto eos = std::find(r.ids.begin(), r.ids.end(), kEos);
    const size_t cut = size_t(eos - r.ids.begin());
    EXPECT_EQ(r.result.length, cut);
    EXPECT_EQ(r.result.stop_reason,
              cut < kMaxLenFixed ? decode::StopReason::eos : decode::StopReason::max_tokens);
    EXPECT_EQ(r.result.text,
              m.tokenizer->decode(std::vector<int32_t>(r.ids.begin(), r.ids.begin() + long(cut))));
    EXPECT_EQ(r.result.tokens.size(), cut < kMaxLenFixed ? cut + 1 : cut);  // the <eos> record too
    EXPECT_EQ(r.result.passes[0].masked.size(), kMaxLenFixed);
    EXPECT_EQ(r.result.passes[0].slots.size(), kMaxLenFixed);
    // A blank text in fixed mode: its length is known, <eos> given after it.
    NatRequest blank = req;
    blank.blank_text = "春_秋_";
    auto b = run(m, blank);
    EXPECT_EQ(b.result.length, 4u);
    EXPECT_EQ(b.result.stop_reason, decode::StopReason::eos);
    EXPECT_EQ(b.result.passes[0].masked, (std::vector<size_t>{1, 3}));
    for (size_t p = 4; p < kMaxLenFixed; ++p) EXPECT_EQ(b.ids[p], kEos);
}

TEST(NatSession, ConstraintsAcrosticBlanksAndLayoutAreHonoured) {
    const auto m = tiny_nat();
    // Acrostic: the first character of each line of a wuyan-jueju (positions 0, 6, 13, 19).
    NatRequest acro = wuyan(4);
    acro.acrostic = "春夏秋冬";
    auto a = run(m, acro);
    ASSERT_EQ(a.ids.size(), 25u);
    EXPECT_EQ(a.ids[0], 12);
    EXPECT_EQ(a.ids[6], 13);
    EXPECT_EQ(a.ids[13], 14);
    EXPECT_EQ(a.ids[19], 15);
    EXPECT_EQ(a.result.given, (std::vector<size_t>{0, 6, 13, 19}));
    for (const auto& p : a.result.passes)
        for (size_t q : p.masked) EXPECT_TRUE(q != 0 && q != 6 && q != 13 && q != 19);
    EXPECT_TRUE(a.result.tokens[6].forced);
    // The layout: punctuation and line breaks given (the character slots stay the model's).
    NatRequest lay = acro;
    lay.layout = true;
    auto l = run(m, lay);
    EXPECT_EQ(l.result.passes[0].masked.size(), 20u - 4u);
    EXPECT_EQ(l.ids[5], 10);   // ，
    EXPECT_EQ(l.ids[11], 11);  // 。
    EXPECT_EQ(l.ids[12], 5);   // \n
    EXPECT_EQ(l.ids[18], 10);
    EXPECT_EQ(l.ids[24], 11);
    EXPECT_EQ(l.result.given, (std::vector<size_t>{0, 5, 6, 11, 12, 13, 18, 19, 24}));
    // Fill in the blank: every character but the blanks is kept, the length is the text's.
    NatRequest blank;
    blank.form = "wuyan-jueju";
    blank.iterations = 3;
    blank.blank_text = "春花_月风，山_水□雨。\n秋__风雨，冬月山□风。";
    auto b = run(m, blank);
    ASSERT_EQ(b.result.length, 25u);
    EXPECT_EQ(b.result.length_source, LengthSource::blank_text);
    const std::vector<std::string> cps = io::split_utf8(blank.blank_text);
    const std::vector<std::string> out = io::split_utf8(b.result.text);
    ASSERT_EQ(out.size(), cps.size());
    std::vector<size_t> blanks;
    for (size_t i = 0; i < cps.size(); ++i) {
        if (decode::is_blank_marker(cps[i])) {
            blanks.push_back(i);
        } else {
            EXPECT_EQ(out[i], cps[i]) << i;
        }
    }
    EXPECT_EQ(b.result.passes[0].masked, blanks);
    // Constraints at any position.
    NatRequest con = wuyan(2);
    con.constraints = {{3, "山"}, {24, "。"}};
    auto c = run(m, con);
    EXPECT_EQ(c.ids[3], 18);
    EXPECT_EQ(c.ids[24], 11);
}

TEST(NatSession, AtRequestCarriesTheSameConstraints) {
    const auto m = tiny_nat();
    NatRequest acro = wuyan(4, LengthSource::predicted);
    acro.acrostic = "春夏秋冬";
    auto plan = decode::plan_poem(m, acro);
    ASSERT_TRUE(plan.ok()) << plan.error();
    auto g = decode::at_request(*plan, *m.tokenizer);
    EXPECT_EQ(g.form, "wuyan-jueju");
    EXPECT_EQ(g.prompt, "春");  // position 0 is given: it leads the AT prompt
    ASSERT_EQ(g.constraints.size(), 3u);
    EXPECT_EQ(g.constraints[0].position, 6u);
    EXPECT_EQ(g.constraints[0].text, "夏");
    EXPECT_EQ(g.constraints[2].position, 19u);
    // A blank text: the leading characters are the prompt, the rest constraints, <eos> after the length.
    NatRequest blank;
    blank.form = "wuyan-jueju";
    blank.blank_text = "春花_月风，山水风雨雨。\n秋月山风雨，冬月山水风。";
    plan = decode::plan_poem(m, blank);
    ASSERT_TRUE(plan.ok()) << plan.error();
    g = decode::at_request(*plan, *m.tokenizer);
    EXPECT_EQ(g.prompt, "春花");
    EXPECT_EQ(g.constraints.front().position, 3u);
    EXPECT_EQ(g.constraints.back().position, 25u);
    EXPECT_EQ(g.constraints.back().text, "<eos>");
    // AT greedy honours them (forced tokens).
    const auto at = tiny_at();
    auto s = decode::start_generation(at, g);
    ASSERT_TRUE(s.ok()) << s.error();
    while (!s->done()) ASSERT_TRUE(s->step().ok());
    const auto& r = s->result();
    EXPECT_EQ(r.stop_reason, decode::StopReason::eos);
    EXPECT_EQ(r.text.substr(0, 6), "春花");
    const auto cps = io::split_utf8(r.text);
    const auto want = io::split_utf8(blank.blank_text);
    ASSERT_EQ(cps.size(), want.size());
    for (size_t i = 0; i < cps.size(); ++i) {
        if (!decode::is_blank_marker(want[i])) {
            EXPECT_EQ(cps[i], want[i]) << i;
        }
    }
}

TEST(NatSession, AtRequestForPlansAgainstTheAtModelAlone) {
    const auto at = tiny_at();
    NatRequest acro;
    acro.form = "wuyan-jueju";
    acro.acrostic = "春夏秋冬";
    acro.length = LengthSource::form;
    auto g = decode::at_request_for(at, acro);
    ASSERT_TRUE(g.ok()) << g.error();
    EXPECT_EQ(g->prompt, "春");
    ASSERT_EQ(g->constraints.size(), 4u);  // 夏 秋 冬 and the <eos> after the form's 25 tokens
    EXPECT_EQ(g->constraints.back().position, 25u);
    const auto r = at_greedy(at, *g);
    // tokens[i] is position i + 1 (the prompt holds position 0). The forced <eos> at 25 caps the poem, but
    // an AT model may end earlier by itself (this random one does, at 24): forced tokens do not forbid <eos>.
    ASSERT_GE(r.tokens.size(), 19u);
    ASSERT_LE(r.tokens.size(), 25u);
    EXPECT_EQ(r.tokens[5].text, "夏");
    EXPECT_EQ(r.tokens[12].text, "秋");
    EXPECT_EQ(r.tokens[18].text, "冬");
    EXPECT_TRUE(r.tokens[18].forced);
    EXPECT_EQ(r.tokens.back().text, "<eos>");
    EXPECT_EQ(r.stop_reason, decode::StopReason::eos);
    // Limits are the AT context's: 40 - <bos> - form - <eos> = 37 tokens.
    NatRequest longer;
    longer.length = LengthSource::given;
    longer.given_length = 38;
    auto e = decode::at_request_for(at, longer);
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.error(), "length = 38 is outside [1, 37] (the AT context without <bos>, form and <eos>)");
    NatRequest fixed;
    fixed.mode = NatMode::fixed;
    EXPECT_FALSE(decode::at_request_for(at, fixed).ok());
}

TEST(NatSession, SamplingIsSeededAndDrawsFromTheTemperedDistribution) {
    const auto m = tiny_nat();
    NatRequest req = wuyan(3);
    req.decoding = decode::Decoding::sample;
    req.temperature = 1.5f;
    req.seed = 42;
    auto a = run(m, req), b = run(m, req);
    EXPECT_EQ(a.ids, b.ids);
    EXPECT_TRUE(a.result.sample);
    bool differs = false;
    for (uint64_t seed = 1; seed < 6 && !differs; ++seed) {
        req.seed = seed;
        differs = run(m, req).ids != a.ids;
    }
    EXPECT_TRUE(differs);
    // Greedy never picks below the argmax; sampling at temperature 1.5 records the tempered probability.
    for (const auto& t : a.result.tokens) EXPECT_GT(t.prob, 0.f);
}

// Repetition penalty: every pick is the argmax of the CTRL-penalised logits of one forward over the pass's
// input, where the penalised ids are the characters that input holds (the prompt and the predictions not
// re-masked; never punctuation, line breaks or masks), and the confidence is that distribution's.
TEST(NatSession, RepetitionPenaltyPenalisesTheCharactersTheCanvasHolds) {
    const auto m = tiny_nat();
    NatRequest req = wuyan(3);
    req.prompt = "春花";
    req.repetition_penalty = 4.f;
    auto r = run(m, req);
    ASSERT_EQ(r.result.passes.size(), 3u);
    auto state = models::make_state(m.cmlm->transformer);
    size_t penalised_picks = 0;
    for (const auto& pass : r.result.passes) {
        const std::vector<int32_t> seq = pass_input(pass);
        std::vector<uint8_t> on_canvas(kV, 0);
        for (int32_t id : seq) {
            if (id >= 12) on_canvas[size_t(id)] = 1;  // characters: 春 .. 雨
        }
        auto logits = models::forward_all(m.cmlm->transformer, state, seq);
        ASSERT_TRUE(logits.ok());
        for (size_t p : pass.masked) {
            const float* row = logits->data() + (2 + p) * kV;
            std::vector<double> x(kV);
            for (size_t v = 0; v < kV; ++v) {
                const double l = row[v];
                x[v] = on_canvas[v] ? (l > 0 ? l / 4 : l * 4) : l;
            }
            size_t best = 5;
            for (size_t v = 10; v < kV; ++v) best = x[v] > x[best] ? v : best;
            size_t plain = 5;
            for (size_t v = 10; v < kV; ++v) plain = row[v] > row[plain] ? v : plain;
            penalised_picks += best != plain;
            EXPECT_EQ(id_of(pass.slots[p]), int32_t(best)) << "pass " << pass.pass << " position " << p;
            double z = 0;
            for (size_t v = 0; v < kV; ++v) z += allowed(v) ? std::exp(x[v] - x[best]) : 0.0;
            EXPECT_NEAR(pass.confidence[p], 1.0 / z, 1e-5) << "pass " << pass.pass << " position " << p;
        }
    }
    EXPECT_GT(penalised_picks, 0u);  // the penalty changed picks, so the checks above test it
    req.repetition_penalty = 1.f;
    EXPECT_NE(run(m, req).ids, r.ids);
}

// Prompt guidance: every pick is the argmax of (1 + G)·z - G·z_blind, z from one forward over the pass's
// input and z_blind from one over the same input with the prompt's characters masked; without a prompt
// nothing changes.
TEST(NatSession, GuidanceContrastsEveryPassWithAPromptBlindOne) {
    const auto m = tiny_nat();
    NatRequest req = wuyan(3);
    req.prompt = "春花";
    req.guidance = 1.5f;
    auto r = run(m, req);
    ASSERT_EQ(r.result.passes.size(), 3u);
    EXPECT_EQ(r.result.forward_passes, 6u);  // every pass twice
    EXPECT_EQ(r.result.blind_passes, 3u);
    EXPECT_EQ(decode::to_json(r.result)["blind_passes"], 3u);
    auto state = models::make_state(m.cmlm->transformer);
    size_t guided_picks = 0;
    for (const auto& pass : r.result.passes) {
        const std::vector<int32_t> seq = pass_input(pass);
        std::vector<int32_t> blind = seq;
        blind[2] = blind[3] = kMask;  // the prompt 春花
        auto z = models::forward_all(m.cmlm->transformer, state, seq);
        ASSERT_TRUE(z.ok());
        const std::vector<float> plain(z->begin(), z->end());
        auto zb = models::forward_all(m.cmlm->transformer, state, blind);
        ASSERT_TRUE(zb.ok());
        for (size_t p : pass.masked) {
            std::vector<double> x(kV);
            for (size_t v = 0; v < kV; ++v)
                x[v] = 2.5 * double(plain[(2 + p) * kV + v]) - 1.5 * double((*zb)[(2 + p) * kV + v]);
            size_t best = 5, unguided = 5;
            for (size_t v = 10; v < kV; ++v) {
                best = x[v] > x[best] ? v : best;
                unguided = plain[(2 + p) * kV + v] > plain[(2 + p) * kV + unguided] ? v : unguided;
            }
            guided_picks += best != unguided;
            EXPECT_EQ(id_of(pass.slots[p]), int32_t(best)) << "pass " << pass.pass << " position " << p;
            double sum = 0;
            for (size_t v = 0; v < kV; ++v) sum += allowed(v) ? std::exp(x[v] - x[best]) : 0.0;
            EXPECT_NEAR(pass.confidence[p], 1.0 / sum, 1e-5) << "pass " << pass.pass << " position " << p;
        }
    }
    EXPECT_GT(guided_picks, 0u);  // guidance changed picks, so the checks above test it
    req.guidance = 0.f;
    auto off = run(m, req);
    EXPECT_NE(off.ids, r.ids);
    EXPECT_EQ(off.result.forward_passes, 3u);
    EXPECT_EQ(off.result.blind_passes, 0u);
    req.prompt.clear();  // no prompt: nothing to contrast, nothing changes
    req.guidance = 1.5f;
    auto no_prompt = run(m, req);
    req.guidance = 0.f;
    EXPECT_EQ(no_prompt.ids, run(m, req).ids);
    EXPECT_EQ(no_prompt.result.forward_passes, 3u);
}

TEST(NatSession, CancelKeepsTheTextSoFar) {
    const auto m = tiny_nat();
    auto s = NatSession::create(m, wuyan(10));
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(s->step().ok());
    ASSERT_TRUE(s->step().ok());
    s->cancel();
    EXPECT_TRUE(s->done());
    EXPECT_EQ(s->result().stop_reason, decode::StopReason::cancelled);
    EXPECT_EQ(s->result().passes.size(), 2u);
    EXPECT_EQ(s->result().tokens.size(), 25u);
    auto again = s->step();
    ASSERT_FALSE(again.ok());
    EXPECT_NE(again.error().find("done (cancelled)"), std::string::npos);
}

TEST(NatSession, BadSettingsAreClearErrors) {
    const auto m = tiny_nat();
    auto err = [&](auto edit) {
        NatRequest r = wuyan(4);
        edit(r);
        return nat_error(m, r);
    };
    EXPECT_EQ(err([](NatRequest&) {}), "");
    EXPECT_EQ(err([](NatRequest& r) { r.iterations = 0; }), "iterations = 0 is outside [1, 100]");
    EXPECT_EQ(err([](NatRequest& r) { r.iterations = 101; }), "iterations = 101 is outside [1, 100]");
    EXPECT_EQ(err([](NatRequest& r) { r.length_beam = 9; }), "length_beam = 9 is outside [1, 8]");
    EXPECT_EQ(err([](NatRequest& r) { r.repetition_penalty = 0.f; }),
              "repetition_penalty = 0 is outside [0.1, 10] (1 = off)");
    EXPECT_EQ(err([](NatRequest& r) { r.guidance = -1.f; }), "guidance = -1 is outside [0, 10]");
    EXPECT_EQ(err([](NatRequest& r) { r.guidance = std::nanf(""); }), "guidance = nan is outside [0, 10]");
    EXPECT_NE(err([](NatRequest& r) { r.length_beam = 2; }).find("needs predicted lengths"),
              std::string::npos);
    EXPECT_EQ(err([](NatRequest& r) {
                  r.length = LengthSource::given;
                  r.given_length = 31;
              }),
              "length = 31 is outside [1, 30] (the length head's max_len)");
    EXPECT_EQ(err([](NatRequest& r) { r.form = "sonnet"; }),
              "unknown form 'sonnet' (known: wuyan-jueju, free)");
    EXPECT_NE(err([](NatRequest& r) {
                  r.form = "free";
                  r.length = LengthSource::predicted;
                  r.acrostic = "春夏";
              }).find("an acrostic needs a regular form"),
              std::string::npos);
    EXPECT_EQ(err([](NatRequest& r) { r.acrostic = "春夏秋冬花"; }),
              "the acrostic has 5 characters, wuyan-jueju has 4 lines");
    EXPECT_NE(err([](NatRequest& r) { r.acrostic = "春X"; }).find("not a character of the vocabulary"),
              std::string::npos);
    EXPECT_NE(err([](NatRequest& r) {
                  r.length = LengthSource::predicted;
                  r.blank_text = std::string("春") + std::string(30, '_');
              }).find("blank_text is 31 tokens long; the model writes at most 30 tokens in length mode"),
              std::string::npos);
    EXPECT_EQ(err([](NatRequest& r) {
                  r.length = LengthSource::predicted;
                  r.blank_text = "春花月";
              }),
              "blank_text has no blank to fill (mark blanks with _ or □)");
    EXPECT_NE(err([](NatRequest& r) { r.blank_text = "春_"; }).find("leave length \"auto\""),
              std::string::npos);
    EXPECT_NE(err([](NatRequest& r) {
                  r.length = LengthSource::predicted;
                  r.prompt = "春";
                  r.blank_text = "春_";
              }).find("leave prompt and acrostic empty"),
              std::string::npos);
    EXPECT_NE(err([](NatRequest& r) {
                  r.constraints = {{25, "春"}};
              }).find("past the poem's length 25"),
              std::string::npos);
    EXPECT_NE(err([](NatRequest& r) {
                  r.constraints = {{40, "春"}};
              }).find("past the longest poem"),
              std::string::npos);
    EXPECT_NE(err([](NatRequest& r) {
                  r.prompt = "春";
                  r.constraints = {{0, "夏"}};
              }).find("clashes with '春'"),
              std::string::npos);
    EXPECT_NE(err([](NatRequest& r) {
                  r.constraints = {{1, "<eos>"}};
              }).find("not a character"),
              std::string::npos);
    EXPECT_NE(err([](NatRequest& r) { r.mode = NatMode::fixed; }).find("fixed mode finds the length itself"),
              std::string::npos);
    EXPECT_NE(err([](NatRequest& r) {
                  r.form = "free";
                  r.length = LengthSource::form;
              }).find("has no fixed length"),
              std::string::npos);
    EXPECT_EQ(err([](NatRequest& r) {
                  r.decoding = decode::Decoding::sample;
                  r.temperature = 0.f;
              }),
              "temperature = 0 is outside [0.01, 100] for sampling (for 0, use greedy decoding)");
    EXPECT_NE(err([](NatRequest& r) { r.strategy = decode::NatStrategy::hybrid; }).find("HybridSession"),
              std::string::npos);
}

TEST(NatReport, RequestJsonIsValidatedLikeTheAtRequest) {
    auto r = decode::request_from_json_text<NatRequest>(
        R"({"strategy": "nat", "prompt": "春", "form": "wuyan-jueju", "mode": "fixed", "iterations": 4,
            "decoding": "sample", "temperature": 0.5, "seed": 9, "acrostic": "春夏", "layout": true,
            "constraints": [{"position": 3, "text": "山"}]})");
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_EQ(r->mode, NatMode::fixed);
    EXPECT_EQ(r->iterations, 4u);
    EXPECT_EQ(r->decoding, decode::Decoding::sample);
    EXPECT_FLOAT_EQ(r->temperature, 0.5f);
    EXPECT_EQ(r->seed, 9u);
    EXPECT_EQ(r->acrostic, "春夏");
    EXPECT_TRUE(r->layout);
    ASSERT_EQ(r->constraints.size(), 1u);
    auto len = decode::request_from_json_text<NatRequest>(R"({"length": 25, "length_beam": 1})");
    ASSERT_TRUE(len.ok()) << len.error();
    EXPECT_EQ(len->length, LengthSource::given);
    EXPECT_EQ(len->given_length, 25u);
    EXPECT_EQ(decode::request_from_json_text<NatRequest>(R"({"length": "form"})")->length,
              LengthSource::form);
    auto error = [](const char* text) {
        auto q = decode::request_from_json_text<NatRequest>(text);
        return q ? std::string() : q.error();
    };
    EXPECT_EQ(error(R"({"iterations": 0})"), "iterations = 0 is outside [1, 100]");
    EXPECT_EQ(error(R"({"iterations": 2.5})"), "iterations must be an integer in [1, 100], found 2.5");
    EXPECT_EQ(error(R"({"length": "long"})"),
              "length must be \"auto\", \"form\" or a number of tokens, found 'long'");
    EXPECT_EQ(error(R"({"mode": "both"})"), "unknown mode 'both' (known: length, fixed)");
    EXPECT_EQ(error(R"({"strategy": "greedy"})"), "unknown strategy 'greedy' (known: nat, hybrid)");
    EXPECT_NE(error(R"({"beam": 4})").find("unknown request key 'beam'"), std::string::npos);
    EXPECT_NE(error(R"({"decoding": "sample", "temperature": 0})").find("temperature = 0 is outside"),
              std::string::npos);
    EXPECT_NE(error(R"({"constraints": [{"position": 1}]})").find("a constraint needs position and text"),
              std::string::npos);
    EXPECT_EQ(error("[1]"), "a NAT request must be a JSON object, found an array");
    // Round trip.
    auto back = decode::request_from_json<NatRequest>(decode::to_json(*r));
    ASSERT_TRUE(back.ok()) << back.error();
    EXPECT_EQ(decode::to_json(*back), decode::to_json(*r));
}

TEST(NatReport, ResultAndEventJsonCarryPassesAndLengths) {
    const auto m = tiny_nat();
    NatRequest req = wuyan(3, LengthSource::predicted);
    req.prompt = "春";
    auto r = run(m, req);
    const json j = decode::to_json(r.result);
    for (const char* key : {"text", "completion", "tokens", "forward_passes", "ms", "tokens_per_s", "passes",
                            "length", "length_candidates", "stop_reason", "iterations", "given", "beams"})
        EXPECT_TRUE(j.contains(key)) << key;
    EXPECT_EQ(j["type"], "result");
    EXPECT_EQ(j["strategy"], "nat");
    EXPECT_EQ(j["length_source"], "predicted");
    EXPECT_EQ(j["passes"].size(), r.result.passes.size());
    EXPECT_EQ(j["passes"][0]["confidence"][0], nullptr);  // the prompt character: given
    EXPECT_TRUE(j["passes"][0]["confidence"][1].is_number());
    EXPECT_EQ(j["length_candidates"].size(), 5u);
    EXPECT_EQ(j["generated_tokens"], r.result.tokens.size());
    const json e0 = decode::to_json(r.events[0]);
    EXPECT_EQ(e0["type"], "length");
    EXPECT_EQ(e0["decoding"].size(), 1u);
    const json e1 = decode::to_json(r.events[1]);
    EXPECT_EQ(e1["type"], "pass");
    EXPECT_EQ(e1["pass"], 1);
    EXPECT_EQ(e1["masked"].size(), e1["length"].get<size_t>() - 1);
    EXPECT_EQ(e1["done"], false);
    EXPECT_EQ(decode::to_json(r.events.back())["done"], true);
}

// |a - b| <= atol + rtol·|b| with the fixture's 7 significant digits in mind.
void expect_close(float got, double want, const std::string& where) {
    EXPECT_LE(std::fabs(double(got) - want), 1e-4 + 1e-4 * std::fabs(want))
        << where << ": " << got << " vs " << want;
}

TEST_F(PoetNatGolden, LogitsAndLengthLogitsMatchPyTorch) {
    const auto& cm = *model->cmlm;
    const size_t V = cm.transformer.config.vocab_size;
    auto state = models::make_state(cm.transformer);
    double worst = 0;
    for (const json& c : golden["cases"]) {
        const auto tokens = c["tokens"].get<std::vector<int32_t>>();
        auto logits = models::forward_all(cm.transformer, state, tokens);
        ASSERT_TRUE(logits.ok()) << logits.error();
        const std::string name = c["name"];
        for (const auto& [pos, row] : c["logits"].items()) {
            const size_t p = std::stoul(pos);
            for (size_t v = 0; v < V; ++v) {
                const double want = row[v].get<double>();
                const float got = (*logits)[p * V + v];
                worst = std::max(worst, std::fabs(double(got) - want));
                expect_close(got, want, name + " logit[" + pos + "][" + std::to_string(v) + "]");
            }
        }
        // argmax everywhere (where PyTorch's top-2 are not a near tie).
        const auto argmax = c["argmax"].get<std::vector<int32_t>>();
        for (size_t p = 0; p < tokens.size(); ++p) {
            const auto& top = c["top5_logits"][p];
            if (top[0].get<double>() - top[1].get<double>() < 1e-4) continue;
            EXPECT_EQ(int32_t(ops::argmax(logits->data() + p * V, V)), argmax[p])
                << name << " position " << p;
        }
        std::vector<float> len(cm.max_len + 1);
        models::length_logits(cm, state, len);
        const auto want = c["length_logits"];
        ASSERT_EQ(want.size(), len.size());
        for (size_t L = 0; L < len.size(); ++L) {
            worst = std::max(worst, std::fabs(double(len[L]) - want[L].get<double>()));
            expect_close(len[L], want[L].get<double>(), name + " length_logits[" + std::to_string(L) + "]");
        }
    }
    std::printf("[ golden ] max |logit - PyTorch| %.3g\n", worst);
}

TEST_F(PoetNatGolden, OnePassFillsAndLengthsMatchPyTorch) {
    const json& op = golden["one_pass"];
    // Length mode: the top-5 lengths of [<len>, <wuyan-jueju>], then 25 masks filled by argmax.
    NatRequest req;
    req.form = "wuyan-jueju";
    req.iterations = 1;
    auto r = run(*model, req);
    const auto top5 = op["length_mode"]["top5_lengths"].get<std::vector<size_t>>();
    ASSERT_GE(r.result.length_candidates.size(), 5u);
    for (size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(r.result.length_candidates[i].length, top5[i]) << i;
        expect_close(float(r.result.length_candidates[i].logprob),
                     op["length_mode"]["top5_length_logprobs"][i].get<double>(),
                     "wuyan length logprob " + std::to_string(i));
    }
    ASSERT_EQ(r.result.length, 25u);  // the head's choice
    EXPECT_EQ(r.ids, op["length_mode"]["fill_argmax"].get<std::vector<int32_t>>());
    EXPECT_EQ(r.result.text, op["length_mode"]["fill_text"].get<std::string>());
    EXPECT_EQ(r.result.forward_passes, 2u);  // the 2-token length pass + one fill
    // The free form's lengths (the only form where the head has a real job).
    NatRequest free_req;
    free_req.form = "free";
    free_req.iterations = 1;
    auto f = run(*model, free_req);
    const auto free5 = op["length_free"]["top5_lengths"].get<std::vector<size_t>>();
    for (size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(f.result.length_candidates[i].length, free5[i]) << i;
        expect_close(float(f.result.length_candidates[i].logprob),
                     op["length_free"]["top5_length_logprobs"][i].get<double>(),
                     "free length logprob " + std::to_string(i));
    }
    // Fixed mode: <fixed> <wuyan-jueju> + N masks, argmax, cut at the first <eos>.
    NatRequest fixed;
    fixed.form = "wuyan-jueju";
    fixed.mode = NatMode::fixed;
    fixed.iterations = 1;
    auto x = run(*model, fixed);
    EXPECT_EQ(x.ids, op["fixed_mode"]["fill_argmax"].get<std::vector<int32_t>>());
    EXPECT_EQ(x.result.text, op["fixed_mode"]["text_until_first_eos"].get<std::string>());
    std::printf("[ golden ] one pass: %s | fixed: %s\n", r.result.text.c_str(), x.result.text.c_str());
}

// A model trained on <len> <form> + the prompt: the session's length pass forwards exactly that, so the
// candidates' log-probabilities are PyTorch's log_softmax(CMLM.length_logits(prefix)) for each prompt, and
// the lengths are PyTorch's most probable ones among those that hold the prompt.
TEST(NatLengthPrompt, LengthDistributionMatchesPyTorchForEveryPrompt) {
    const std::string dir = std::string(ATNAT_SOURCE_DIR) + "/tests/fixtures/weights/";
    auto g = read_bytes(dir + "poet-nat-tiny.json");
    auto w = read_bytes(dir + "poet-nat-tiny.safetensors");
    ASSERT_TRUE(g && w) << "run tests/fixtures/make_weight_fixtures.py";
    const json golden = json::parse(g->begin(), g->end());
    auto m = decode::NatModel::load(std::move(*w));
    ASSERT_TRUE(m.ok()) << m.error();
    ASSERT_TRUE(m->cmlm->length_prompt);
    std::vector<std::vector<float>> seen;
    for (const json& c : golden["cases"]) {
        const std::string name = c["form"].get<std::string>() + " '" + c["prompt"].get<std::string>() + "'";
        const auto want = c["length_logprobs"].get<std::vector<float>>();
        ASSERT_EQ(want.size(), m->cmlm->max_len + 1) << name;
        NatRequest req;
        req.form = c["form"];
        req.prompt = c["prompt"];
        req.length_beam = 8;  // 8 candidates, so 8 lengths are checked
        auto s = NatSession::create(*m, req);
        ASSERT_TRUE(s.ok()) << name << ": " << s.error();
        ASSERT_TRUE(s->step().ok()) << name;  // the length pass
        const auto& cands = s->result().length_candidates;
        // PyTorch's order: most probable first, ties shorter first, lengths that hold the prompt
        std::vector<size_t> order;
        const size_t prompt_tokens = c["prompt_tokens"];  // the length pass reads fewer: its first line
        for (size_t L = std::max<size_t>(1, prompt_tokens); L < want.size(); ++L) order.push_back(L);
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return want[a] > want[b]; });
        ASSERT_EQ(cands.size(), 8u) << name;
        for (size_t i = 0; i < cands.size(); ++i) {
            EXPECT_EQ(cands[i].length, order[i]) << name << " candidate " << i;
            expect_close(float(cands[i].logprob), want[cands[i].length],
                         name + " length " + std::to_string(i));
        }
        seen.push_back(want);
    }
    // The fixture is worth checking against: a prompt moves the distribution far beyond the tolerance.
    ASSERT_EQ(seen.size(), 7u);
    auto max_diff = [](const std::vector<float>& a, const std::vector<float>& b) {
        float d = 0.f;
        for (size_t L = 0; L < a.size(); ++L) d = std::max(d, std::fabs(a[L] - b[L]));
        return d;
    };
    for (size_t i : {1, 2, 3})
        EXPECT_GT(max_diff(seen[i], seen[0]), 0.1f) << i;  // free: no prompt vs prompts
    EXPECT_GT(max_diff(seen[5], seen[4]), 0.1f);           // wuyan-jueju
    EXPECT_EQ(seen[6], seen[5]);  // what follows the first line's "，" is not the length pass's input
}

}  // namespace
}  // namespace atnat

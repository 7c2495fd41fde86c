// atnat eval on a g2p model: WER and PER (core/decode/g2p_metrics.hpp) of AT greedy, AT beam 4 and NAT
// mask-predict at T = 1, 4, 10 over a word list, with the passes and the time per word; and the exposure-bias
// demo: the AT decoder's per-phoneme accuracy fed the gold prefix (teacher forcing, as in training) and fed
// its own earlier outputs (free running, greedy), position by position against the first reference.
//
// Data: --data test | val reads models/data/cache/cmudict.json (or --dict PATH), written by
// models/data/prepare_cmudict.py and not committed; --data FILE reads lines "word<TAB>PRON<TAB>PRON..."
// (models/data/cmudict/test500.txt, committed). Words the model cannot read (too long, other characters)
// are skipped and counted.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/cli.hpp"
#include "core/decode/g2p_metrics.hpp"
#include "core/decode/pronounce.hpp"
#include "core/decode/report.hpp"

namespace atnat::cli {
namespace {

using nlohmann::json;

constexpr const char* kDefaultDict = "models/data/cache/cmudict.json";

struct Entry {
    std::string word;
    std::vector<std::vector<int32_t>> references;
};

Result<std::vector<int32_t>> phoneme_ids(const io::G2PTokenizer& tok, const std::string& pron) {
    std::vector<int32_t> ids;
    std::istringstream in(pron);
    std::string p;
    while (in >> p) {
        auto id = tok.vocabulary().id_of(p);
        if (!id || !tok.is_phoneme(*id)) return make_error("'" + p + "' is not a phoneme of the model");
        ids.push_back(*id);
    }
    return ids;
}

Result<std::vector<Entry>> read_data(const Args& args, const io::G2PTokenizer& tok) {
    const std::string data = args.get("data", "test");
    std::vector<std::pair<std::string, std::vector<std::string>>> raw;
    if (data == "test" || data == "val" || data == "train") {
        const std::string dict = args.get("dict", kDefaultDict);
        auto bytes = read_file(dict, kMaxDataFileBytes);
        if (!bytes) {
            return make_error("--data " + data + " reads " + dict + " (" + bytes.error() +
                              "): write it with `/usr/bin/python3 models/data/prepare_cmudict.py`, or give "
                              "--data models/data/cmudict/test500.txt (committed)");
        }
        const json j = json::parse(bytes->begin(), bytes->end(), nullptr, false);
        if (!j.is_object() || !j.contains(data) || !j[data].is_array())
            return make_error(dict + ": no \"" + data + "\" list of [word, [pronunciations]]");
        for (const json& e : j[data]) {
            if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_array())
                return make_error(dict + ": an entry is not [word, [pronunciations]]");
            std::vector<std::string> prons;
            for (const json& p : e[1]) prons.push_back(p.is_string() ? p.get<std::string>() : "");
            raw.push_back({e[0].get<std::string>(), std::move(prons)});
        }
    } else {
        auto bytes = read_file(data, kMaxTextFileBytes);
        if (!bytes) return make_error(data + ": " + bytes.error());
        std::istringstream in(std::string(bytes->begin(), bytes->end()));
        std::string line;
        while (std::getline(in, line)) {
            if (line.empty()) continue;
            std::vector<std::string> fields;
            std::istringstream cols(line);
            std::string f;
            while (std::getline(cols, f, '\t')) fields.push_back(f);
            if (fields.size() < 2)
                return make_error(data + ": a line without word<TAB>pronunciation: " + line);
            raw.push_back({fields[0], {fields.begin() + 1, fields.end()}});
        }
    }
    std::vector<Entry> out;
    for (auto& [word, prons] : raw) {
        Entry e{word, {}};
        for (const std::string& p : prons) {
            auto ids = phoneme_ids(tok, p);
            if (!ids) return make_error(word + ": " + ids.error());
            e.references.push_back(std::move(*ids));
        }
        out.push_back(std::move(e));
    }
    return out;
}

struct Decoder {
    std::string name;
    decode::PronounceRequest request;
    decode::ErrorRates rates;
    double ms = 0.0;
    size_t passes = 0;
};

std::string pct(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * x);
    return buf;
}

std::string num(double x, int digits) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", digits, x);
    return buf;
}

}  // namespace

int run_g2p_eval(const Args& args, const io::WeightFile& file, const std::string& path) {
    auto model = decode::PronounceModel::load(file);
    if (!model) return fail(path + ": " + model.error());
    auto data = read_data(args, *model->tokenizer);
    if (!data) return fail(data.error());
    auto limit = args.get_int("limit", int64_t(data->size()), 1, int64_t(1) << 40);
    if (!limit) return usage_fail(limit.error());
    if (size_t(*limit) < data->size()) data->resize(size_t(*limit));

    std::vector<Decoder> decoders;
    auto add = [&](std::string name, decode::PronounceStrategy s, int32_t beam, size_t iterations) {
        Decoder d{std::move(name), {}, {}, 0.0, 0};
        d.request.strategy = s;
        d.request.beam = beam;
        d.request.iterations = iterations;
        d.request.top_n = 0;
        decoders.push_back(std::move(d));
    };
    add("AT greedy", decode::PronounceStrategy::greedy, 1, 1);
    add("AT beam 4", decode::PronounceStrategy::beam, 4, 1);
    add("NAT T=1", decode::PronounceStrategy::nat, 1, 1);
    add("NAT T=4", decode::PronounceStrategy::nat, 1, 4);
    add("NAT T=10", decode::PronounceStrategy::nat, 1, 10);

    // Exposure bias: positions 0 .. |ref| (the <eos> included) of the first reference.
    const models::Seq2Seq& s2s = *model->seq2seq;
    const io::G2PTokenizer& tok = *model->tokenizer;
    models::Seq2SeqState state = models::make_state(s2s);
    models::AtCache cache = models::make_at_cache(s2s);
    size_t forced_right = 0, free_right = 0, positions = 0, skipped = 0;
    const size_t V = s2s.config.vocab_size;

    for (const Entry& e : *data) {
        auto letters = model->letters(e.word);
        if (!letters || e.references.empty() || e.references[0].size() + 1 >= s2s.config.max_phonemes) {
            ++skipped;
            continue;
        }
        std::vector<int32_t> greedy;
        for (Decoder& d : decoders) {
            d.request.word = e.word;
            auto r = decode::pronounce(*model, d.request);
            if (!r) return fail(e.word + ": " + d.name + ": " + r.error());
            if (Status st = d.rates.add(r->ids, e.references); !st) return fail(st.error());
            d.ms += r->ms;
            d.passes += r->passes;
            if (d.name == "AT greedy") {
                greedy = r->ids;
                if (r->stop_reason == decode::StopReason::eos) greedy.push_back(tok.eos());
            }
        }
        std::vector<int32_t> gold = e.references[0];
        gold.push_back(tok.eos());
        std::vector<int32_t> input = {tok.bos()};
        input.insert(input.end(), gold.begin(), gold.end() - 1);
        if (Status st = models::encode(s2s, state, *letters); !st) return fail(e.word + ": " + st.error());
        auto logits = models::at_forward_all(s2s, state, cache, input, 0);
        if (!logits) return fail(e.word + ": " + logits.error());
        for (size_t i = 0; i < gold.size(); ++i) {
            // The teacher-forced pick: the argmax over the phonemes and <eos>, as the decoders pick.
            const float* row = logits->data() + i * V;
            int32_t best = tok.eos();
            for (int32_t id : tok.phoneme_ids()) {
                if (row[id] > row[best]) best = id;
            }
            forced_right += best == gold[i];
            free_right += i < greedy.size() && greedy[i] == gold[i];
            ++positions;
        }
    }
    const size_t words = data->size() - skipped;
    if (words == 0) return fail("no word to evaluate");
    const double forced_acc = double(forced_right) / double(positions);
    const double free_acc = double(free_right) / double(positions);

    if (args.flag("json")) {
        json rows = json::array();
        for (const Decoder& d : decoders) {
            decode::PronounceRequest settings = d.request;
            settings.word.clear();  // the settings of every word
            rows.push_back({{"decoder", d.name},
                            {"request", decode::to_json(settings)},
                            {"wer", d.rates.wer()},
                            {"per", d.rates.per()},
                            {"wrong", d.rates.wrong},
                            {"edits", d.rates.edits},
                            {"reference_phonemes", d.rates.reference_phonemes},
                            {"passes_per_word", double(d.passes) / double(words)},
                            {"ms_per_word", double(d.ms) / double(words)}});
        }
        json out = {{"type", "g2p_eval"},
                    {"data", args.get("data", "test")},
                    {"words", words},
                    {"skipped", skipped},
                    {"decoders", rows},
                    {"exposure_bias",
                     {{"positions", positions},
                      {"teacher_forced_accuracy", forced_acc},
                      {"free_running_accuracy", free_acc}}}};
        std::cout << out.dump(1) << "\n";
        return kExitOk;
    }
    std::cout << "data " << terminal_safe(args.get("data", "test")) << ": " << words << " words"
              << (skipped ? " (" + std::to_string(skipped) + " skipped)" : "") << "\n\n";
    std::cout << "decoder       WER     PER     passes/word  ms/word\n";
    for (const Decoder& d : decoders) {
        std::string name = d.name;
        name.resize(12, ' ');
        std::cout << name << "  " << pct(d.rates.wer()) << "   " << pct(d.rates.per()) << "   "
                  << num(double(d.passes) / double(words), 2) << "        " << num(d.ms / double(words), 3)
                  << "\n";
    }
    std::cout << "\nexposure bias (AT, per phoneme over " << positions
              << " positions of the first reference):\n"
              << "  teacher forcing (gold prefix)   " << pct(forced_acc) << "\n"
              << "  free running (own prefix)       " << pct(free_acc) << "\n";
    return kExitOk;
}

}  // namespace atnat::cli

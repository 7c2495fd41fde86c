// atnat pronounce: a word's pronunciation (ARPAbet and IPA) from a g2p model, decoded by the AT decoder
// (greedy, beam, sample) or the NAT decoder (nat: mask-predict). The options are the fields of
// decode::PronounceRequest (cli/options.hpp); --json prints core/decode/report.hpp's documents, the same the
// browser gets.
#include <cstdio>
#include <iostream>

#include "cli/cli.hpp"
#include "cli/options.hpp"
#include "core/decode/pronounce.hpp"
#include "core/decode/report.hpp"

namespace atnat::cli {
namespace {

const std::vector<OptionSpec> kOptions = [] {
    std::vector<OptionSpec> o = {{"model", "PATH", "a g2p weight file, or its model directory (models/g2p)"}};
    add_options<decode::PronounceRequest>(o);
    o.push_back({"request", "JSON", "a whole request as JSON (the options override its fields)"});
    o.push_back({"json", "", "print the result as one JSON object"});
    o.push_back({"events", "", "with --json: print every step's event as a JSON line before the result"});
    return o;
}();

std::string fixed(double x, int digits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, x);
    return buf;
}

int run_pronounce(const Args& args) {
    auto path = model_argument(args);
    if (!path) return fail(path.error());
    auto wf = load_weights(*path);
    if (!wf) return fail(wf.error());
    auto model = decode::PronounceModel::load(*wf);
    if (!model) return fail(*path + ": " + model.error());
    auto request = read_request<decode::PronounceRequest>(args);
    if (!request) return usage_fail(request.error());
    if (request->word.empty()) return usage_fail("give the word to pronounce: --word WORD");

    auto session = decode::PronounceSession::create(*model, *request);
    if (!session) return fail(session.error());
    const bool json = args.flag("json"), events = json && args.flag("events");
    Status st = decode::run(*session, [&](const decode::PronounceEvent& e) {
        if (events) std::cout << decode::dump_json(decode::to_json(e)) << "\n";
    });
    if (!st) return fail(st.error());
    const decode::PronounceResult& r = session->result();
    if (json) {
        std::cout << decode::dump_json(decode::to_json(r)) << "\n";
        return kExitOk;
    }
    std::cout << terminal_safe(r.word) << " (" << decode::name_of(r.strategy) << ")\n"
              << "  " << r.arpabet << "   /" << r.ipa << "/\n"
              << "  log p " << fixed(r.logprob, 3) << " · passes " << r.passes << " (model calls "
              << r.forward_passes << ") · " << fixed(r.ms, 2) << " ms · diagonality "
              << fixed(r.attention.diagonality, 2) << "\n";
    if (r.strategy == decode::PronounceStrategy::beam || r.candidates.size() > 1) {
        std::cout << "candidates (best first):\n";
        for (size_t i = 0; i < r.candidates.size(); ++i) {
            const decode::Pronunciation& c = r.candidates[i];
            std::cout << "  " << i + 1 << ". " << c.arpabet << "   /" << c.ipa << "/   score "
                      << fixed(c.score, 3) << " · log p " << fixed(c.logprob, 3)
                      << (r.strategy == decode::PronounceStrategy::nat
                              ? " · " + std::to_string(c.passes) + " passes"
                              : (c.finished ? "" : " (unfinished)"))
                      << "\n";
        }
    }
    return kExitOk;
}

}  // namespace

const Command pronounce_command = {
    "pronounce",
    "a word's pronunciation (ARPAbet, IPA) from a g2p model: AT greedy, beam, sample, or NAT mask-predict",
    "atnat pronounce --model models/g2p --word WORD [--strategy greedy|beam|sample|nat] [--beam W]\n"
    "       [--iterations T] [--length-beam K] [--temperature T --top-k K --top-p P --seed N] [--json "
    "[--events]]",
    kOptions,
    1,
    run_pronounce,
};

}  // namespace atnat::cli

#include "core/decode/poem_plan.hpp"

#include <algorithm>

namespace atnat::decode {

// --------------------------------------------------------------------------------------------- names
std::span<const Choice<NatMode>> choices(NatMode) {
    static constexpr Choice<NatMode> kNames[] = {{NatMode::length, "length"}, {NatMode::fixed, "fixed"}};
    return kNames;
}

std::span<const Choice<LengthSource>> choices(LengthSource) {
    static constexpr Choice<LengthSource> kNames[] = {{LengthSource::predicted, "predicted"},
                                                      {LengthSource::given, "given"},
                                                      {LengthSource::form, "form"},
                                                      {LengthSource::blank_text, "blank_text"},
                                                      {LengthSource::eos, "eos"}};
    return kNames;
}

std::span<const Choice<NatStrategy>> choices(NatStrategy) {
    static constexpr Choice<NatStrategy> kNames[] = {{NatStrategy::nat, "nat"},
                                                     {NatStrategy::hybrid, "hybrid"}};
    return kNames;
}

std::span<const Choice<Decoding>> choices(Decoding) {
    static constexpr Choice<Decoding> kNames[] = {{Decoding::argmax, "argmax"}, {Decoding::sample, "sample"}};
    return kNames;
}

Status check(const NatRequest& r) {
    if (Status st = check(r, r.decoding == Decoding::sample); !st) return st;
    if (Status st = check_repetition_penalty(r.repetition_penalty); !st) return st;
    if (r.strategy == NatStrategy::hybrid && r.guidance != 0.f) return Status::failure(kHybridGuidance);
    if (r.strategy == NatStrategy::nat && r.draft_tokens)
        return Status::failure("draft_tokens is the hybrid's (strategy \"hybrid\")");
    return {};
}

// ---------------------------------------------------------------------------------------------- plan
Result<PoemPlan> plan_poem(const Vocabulary& vocabulary, const PoemLimits& lim, const PoemRequest& r) {
    const io::Tokenizer& tok = *vocabulary.tokenizer;
    PoemPlan p;
    p.form = r.form.empty() ? vocabulary.default_form() : r.form;
    if (!vocabulary.form_id(p.form))
        return make_error("unknown form '" + p.form + "' (known: " + vocabulary.form_names() + ")");
    const auto shape = parse_form(p.form);
    if (!shape) return make_error("form '" + p.form + "' has no known layout");
    p.shape = *shape;
    p.mode = r.mode;
    const size_t cap = r.mode == NatMode::length ? lim.max_len : lim.max_len_fixed;
    const std::string cap_text = std::to_string(cap) + " tokens in " + name_of(r.mode) + " mode";

    // An ordinary token of one code point (no specials, no <unk>), or an error naming `what`.
    auto char_id = [&](const std::string& cp, const std::string& what) -> Result<int32_t> {
        auto id = tok.id_of(cp);
        if (!id || tok.is_special(*id))
            return make_error(what + ": " + spell(cp) + " is not a character of the vocabulary");
        return *id;
    };
    auto give = [&](size_t pos, int32_t id, const std::string& what) -> Status {
        if (pos >= cap)
            return Status::failure(what + " at position " + std::to_string(pos) +
                                   " is past the longest poem the model writes (" + cap_text + ")");
        auto [it, inserted] = p.given.emplace(pos, id);
        if (!inserted && it->second != id)
            return Status::failure(what + " at position " + std::to_string(pos) + ": " +
                                   spell(tok.token_text(id)) + " clashes with " +
                                   spell(tok.token_text(it->second)) + " given there");
        return {};
    };

    // --- the length
    if (r.mode == NatMode::fixed) {
        if (r.length != LengthSource::predicted)
            return make_error(
                "fixed mode finds the length itself (the first <eos>): length must be \"auto\"");
        p.length_source = LengthSource::eos;
    } else if (r.length == LengthSource::given) {
        if (r.given_length < 1 || r.given_length > lim.max_len)
            return make_error("length = " + std::to_string(r.given_length) + " is outside [1, " +
                              std::to_string(lim.max_len) + "] (" + lim.max_len_name + ")");
        p.length_source = LengthSource::given;
        p.length = r.given_length;
    } else if (r.length == LengthSource::form) {
        if (!p.shape.regular())
            return make_error("form '" + p.form + "' has no fixed length: use length \"auto\" or a number");
        p.length_source = LengthSource::form;
        p.length = p.shape.length();
    } else if (r.length != LengthSource::predicted) {
        return make_error(std::string("length cannot be requested as '") + name_of(r.length) + "'");
    }

    // --- fill-in-the-blank: the whole poem
    if (!r.blank_text.empty()) {
        if (!r.prompt.empty() || !r.acrostic.empty())
            return make_error("blank_text gives the whole poem: leave prompt and acrostic empty");
        if (r.length != LengthSource::predicted)
            return make_error("blank_text sets the length itself: leave length \"auto\"");
        size_t n = 0, blanks = 0;
        for (const std::string& cp : io::split_utf8(r.blank_text)) {
            if (cp == "\r") continue;
            if (is_blank_marker(cp)) {
                ++blanks;
            } else {
                auto id = char_id(cp, "blank_text character " + std::to_string(n + 1));
                if (!id) return make_error(id.error());
                if (n < cap) p.given[n] = *id;
            }
            ++n;
        }
        if (n > cap)
            return make_error("blank_text is " + std::to_string(n) +
                              " tokens long; the model writes at most " + cap_text);
        if (blanks == 0) return make_error("blank_text has no blank to fill (mark blanks with _ or □)");
        p.length_source = LengthSource::blank_text;
        p.length = n;
    }

    // --- the layout: the form's punctuation and line breaks
    if (r.layout) {
        if (!p.shape.regular()) return make_error("layout needs a regular form, not '" + p.form + "'");
        const size_t L = p.shape.length();
        if (p.length_source == LengthSource::predicted && r.mode == NatMode::length) {
            p.length_source = LengthSource::form;
            p.length = L;
        } else if (p.length != 0 && p.length != L) {
            return make_error("layout: the form's layout has " + std::to_string(L) + " tokens, the poem " +
                              std::to_string(p.length));
        }
        const std::vector<std::string> layout = p.shape.layout();
        for (size_t i = 0; i < layout.size(); ++i) {
            if (layout[i].empty()) continue;
            auto id = char_id(layout[i], "layout");
            if (!id) return make_error(id.error());
            if (Status st = give(i, *id, "layout"); !st) return make_error(st.error());
        }
    }

    // --- the prompt: characters from position 0 (unknown ones read as <unk>, as the AT prompt does)
    std::vector<std::string> prompt_cps;
    for (const std::string& cp : io::split_utf8(r.prompt)) {
        if (cp != "\r") prompt_cps.push_back(cp);
    }
    for (size_t i = 0; i < prompt_cps.size(); ++i) {
        const std::string& cp = prompt_cps[i];
        p.prompt_text += cp;
        auto id = tok.id_of(cp);
        int32_t t = id && !tok.is_special(*id) ? *id : tok.unk();
        if (t == tok.unk() &&
            std::find(p.unknown_chars.begin(), p.unknown_chars.end(), cp) == p.unknown_chars.end())
            p.unknown_chars.push_back(cp);
        if (i >= cap)
            return make_error("the prompt is " + std::to_string(prompt_cps.size()) +
                              " tokens long; the model writes at most " + cap_text);
        if (Status st = give(i, t, "prompt character"); !st) return make_error(st.error());
    }
    p.prompt_chars = prompt_cps.size();

    // --- constraints and the acrostic
    for (const Constraint& c : r.constraints) {
        auto id = char_id(c.text, "constraint at position " + std::to_string(c.position));
        if (!id) return make_error(id.error());
        if (Status st = give(c.position, *id, "constraint"); !st) return make_error(st.error());
    }
    if (!r.acrostic.empty()) {
        if (!p.shape.regular())
            return make_error("an acrostic needs a regular form (its line starts), not '" + p.form + "'");
        std::vector<std::string> heads;
        for (const std::string& cp : io::split_utf8(r.acrostic)) {
            if (cp != "\r" && cp != "\n" && cp != " ") heads.push_back(cp);
        }
        if (heads.size() > p.shape.lines)
            return make_error("the acrostic has " + std::to_string(heads.size()) + " characters, " + p.form +
                              " has " + std::to_string(p.shape.lines) + " lines");
        for (size_t i = 0; i < heads.size(); ++i) {
            auto id = char_id(heads[i], "acrostic character " + std::to_string(i + 1));
            if (!id) return make_error(id.error());
            if (!is_poem_char(heads[i]))
                return make_error("acrostic character " + std::to_string(i + 1) + " " + spell(heads[i]) +
                                  " is not a poem character");
            if (Status st = give(p.shape.line_start(i), *id, "acrostic character " + std::to_string(i + 1));
                !st)
                return make_error(st.error());
        }
    }

    p.min_length = p.given.empty() ? 1 : p.given.rbegin()->first + 1;
    if (p.length != 0 && p.min_length > p.length) {
        const size_t pos = p.given.rbegin()->first;
        return make_error("a given character at position " + std::to_string(pos) +
                          " is past the poem's length " + std::to_string(p.length) + " (" +
                          name_of(p.length_source) + ")");
    }
    return p;
}

}  // namespace atnat::decode

// libFuzzer target: a tokenizer spec from a hostile weight file and a hostile prompt. Input: the spec's JSON
// text, a NUL byte, then the text to encode. Tokenizer::from_json returns an Error or a tokenizer; encode()
// of any bytes (invalid UTF-8 included) gives ids inside the vocabulary, and decode() of them never fails.
// The same spec read as a g2p tokenizer (G2PTokenizer::from_json): encode_word() of the text is an Error or
// letter ids only, and a letter is never read as a phoneme.
// Seeds: tests/fuzz/corpus/tokenizer (tests/fuzz/make_corpus.py). Run: bash scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/io/g2p_tokenizer.hpp"
#include "core/io/json.hpp"
#include "core/io/tokenizer.hpp"

using namespace atnat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const char* chars = reinterpret_cast<const char*>(data);
    const void* nul = std::memchr(data, 0, size);
    const size_t spec_size = nul ? size_t(static_cast<const uint8_t*>(nul) - data) : size;
    const std::string_view spec_text(chars, spec_size),
        text = nul ? std::string_view(chars + spec_size + 1, size - spec_size - 1) : std::string_view();
    auto spec = io::parse_json(spec_text, "tokenizer");
    if (!spec) return 0;
    if (auto g2p = io::G2PTokenizer::from_json(*spec)) {
        if (auto letters = g2p->encode_word(text)) {
            for (int32_t id : *letters)
                if (!g2p->is_letter(id) || g2p->is_phoneme(id)) __builtin_trap();
            if (!letters->empty() && g2p->arpabet_text(*letters).ok()) __builtin_trap();
        }
        (void)g2p->ipa_text(g2p->phoneme_ids());
    }
    auto tok = io::Tokenizer::from_json(*spec);
    if (!tok) return 0;
    const auto ids = tok->encode(text);
    for (int32_t id : ids)
        if (id < 0 || size_t(id) >= tok->size()) __builtin_trap();
    (void)tok->decode(ids);
    return 0;
}

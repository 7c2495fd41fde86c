// The Pronounce models' tokenizer: letters in, ARPAbet phonemes out, one vocabulary. It is the JSON of
// models/data/cmudict/tokenizer.json, stored in the g2p weight file's "tokenizer" metadata:
//   {"type": "word",
//    "tokens": ["<pad>", "<bos>", "<eos>", "<mask>", "<unk>", "a", ..., "z", "'", "AA", "AE", ..., "ZH"],
//    "specials": {"pad": 0, "bos": 1, "eos": 2, "mask": 3, "unk": 4},
//    "letters": ["a", ..., "z", "'"],            // what a word is spelled with (single ASCII characters)
//    "phonemes": ["AA", "AE", ..., "ZH"]}        // what the decoders write (39 ARPAbet symbols, no stress)
// and the ARPAbet -> IPA table the page shows next to the ARPAbet.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/io/tokenizer.hpp"
#include "core/status.hpp"

namespace atnat::io {

class G2PTokenizer {
public:
    // Validates the vocabulary (io::Tokenizer::from_json, with "mask" required), then "letters": a non-empty
    // array of distinct single printable ASCII characters that are no uppercase letters, each one of the
    // tokens; "phonemes": a non-empty array of distinct tokens, none of them a letter or a special.
    static Result<G2PTokenizer> from_json(const nlohmann::json& spec);

    // A word -> its letter ids, one per character. ASCII uppercase is lowercased ("Hello" = "hello"); any
    // other character outside the letters (a digit, a space, 'é', invalid UTF-8) is an Error naming it and
    // its position, as is an empty word.
    Result<std::vector<int32_t>> encode_word(std::string_view word) const;

    // Phoneme ids -> ARPAbet symbols ("HH", "AH", ...); an id that is not a phoneme (a letter, a special,
    // out of range) is an Error naming its index.
    Result<std::vector<std::string>> arpabet(std::span<const int32_t> ids) const;
    // The same joined by single spaces: "HH AH L OW".
    Result<std::string> arpabet_text(std::span<const int32_t> ids) const;
    // The same in IPA, one string without separators: "həloʊ" (see ipa() for the symbols).
    Result<std::string> ipa_text(std::span<const int32_t> ids) const;

    bool is_phoneme(int32_t id) const;
    bool is_letter(int32_t id) const;
    const std::vector<int32_t>& phoneme_ids() const { return phoneme_ids_; }  // in the "phonemes" order
    const std::vector<int32_t>& letter_ids() const { return letter_ids_; }    // in the "letters" order
    const Tokenizer& vocabulary() const { return vocab_; }                    // every token, the specials
    size_t size() const { return vocab_.size(); }
    int32_t pad() const { return vocab_.pad(); }
    int32_t bos() const { return vocab_.bos(); }
    int32_t eos() const { return vocab_.eos(); }
    int32_t mask() const { return vocab_.mask(); }

private:
    Tokenizer vocab_;
    std::array<int32_t, 128> letter_of_ascii_{};  // ASCII byte -> letter id, or -1
    std::vector<int32_t> letter_ids_, phoneme_ids_;
    std::vector<uint8_t> is_letter_, is_phoneme_;  // by id
};

// The IPA of one ARPAbet phoneme without stress (the 39 of CMUdict), "" for anything else. Stress-dependent
// vowels take their usual unstressed reading, the commoner one in CMUdict: AH -> ə (AH1 would be ʌ),
// ER -> ɚ (ER1 would be ɝ); diphthongs and affricates are written without tie bars (aɪ, tʃ).
std::string_view ipa(std::string_view arpabet);

}  // namespace atnat::io

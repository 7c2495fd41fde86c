// Word and phoneme error rates of a pronunciation model, as models/g2p/train.py (edit_distance, wer_per)
// and the published CMUdict tables count them:
//   a word is wrong if its output equals none of its reference pronunciations (WER = wrong / words);
//   PER = Σ edit distance to the closest reference / Σ length of that reference (the first of the closest
//   on ties), edit distance = Levenshtein over phoneme ids (insertions, deletions, substitutions cost 1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/status.hpp"

namespace atnat::decode {

// Levenshtein distance between two id sequences (one row of the table: O(|b|) memory).
size_t edit_distance(std::span<const int32_t> a, std::span<const int32_t> b);

struct WordScore {
    size_t edits = 0;             // edit distance to the closest reference
    size_t reference_length = 0;  // that reference's length
    size_t reference = 0;         // its index among the references
    bool correct() const { return edits == 0; }
};

// The closest reference of one output. Error if there are no references.
Result<WordScore> score_word(std::span<const int32_t> output,
                             const std::vector<std::vector<int32_t>>& references);

// Running totals over a test set.
struct ErrorRates {
    size_t words = 0;
    size_t wrong = 0;               // words whose output equals none of their references
    size_t edits = 0;               // Σ edit distance to the closest reference
    size_t reference_phonemes = 0;  // Σ length of the closest reference
    Status add(std::span<const int32_t> output, const std::vector<std::vector<int32_t>>& references);
    double wer() const { return words ? double(wrong) / double(words) : 0.0; }
    double per() const { return reference_phonemes ? double(edits) / double(reference_phonemes) : 0.0; }
};

}  // namespace atnat::decode

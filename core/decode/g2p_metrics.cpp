#include "core/decode/g2p_metrics.hpp"

#include <algorithm>
#include <numeric>
#include <string>

namespace atnat::decode {

size_t edit_distance(std::span<const int32_t> a, std::span<const int32_t> b) {
    // row[j] = distance between a[:i] and b[:j], one row i at a time (train.py edit_distance)
    std::vector<size_t> row(b.size() + 1);
    std::iota(row.begin(), row.end(), size_t{0});
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];  // row[i-1][j-1]
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t substitute = diagonal + (a[i - 1] != b[j - 1] ? 1 : 0);
            diagonal = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitute});
        }
    }
    return row.back();
}

Result<WordScore> score_word(std::span<const int32_t> output,
                             const std::vector<std::vector<int32_t>>& references) {
    if (references.empty()) return make_error("score_word: a word without reference pronunciations");
    WordScore best;
    for (size_t r = 0; r < references.size(); ++r) {
        const size_t d = edit_distance(output, references[r]);
        if (r == 0 || d < best.edits) best = {d, references[r].size(), r};  // first of the closest on ties
    }
    return best;
}

Status ErrorRates::add(std::span<const int32_t> output, const std::vector<std::vector<int32_t>>& references) {
    auto s = score_word(output, references);
    if (!s) return Status::failure(s.error());
    ++words;
    wrong += s->correct() ? 0 : 1;
    edits += s->edits;
    reference_phonemes += s->reference_length;
    return {};
}

}  // namespace atnat::decode

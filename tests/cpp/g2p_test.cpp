// The Pronounce models' text side: the letter / phoneme tokenizer and the ARPAbet -> IPA table
// (core/io/g2p_tokenizer.*), and the WER / PER scorer (core/decode/g2p_metrics.*), whose figures must be
// models/g2p/train.py's (edit_distance, wer_per).
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/decode/g2p_metrics.hpp"
#include "core/io/g2p_tokenizer.hpp"

namespace atnat {
namespace {

using nlohmann::json;
using Ids = std::vector<int32_t>;

const std::vector<std::string> kLetters = {"a", "b", "c", "d", "e", "f", "g", "h", "i",
                                           "j", "k", "l", "m", "n", "o", "p", "q", "r",
                                           "s", "t", "u", "v", "w", "x", "y", "z", "'"};
const std::vector<std::string> kPhonemes = {"AA", "AE", "AH", "AO", "AW", "AY", "B",  "CH", "D",  "DH",
                                            "EH", "ER", "EY", "F",  "G",  "HH", "IH", "IY", "JH", "K",
                                            "L",  "M",  "N",  "NG", "OW", "OY", "P",  "R",  "S",  "SH",
                                            "T",  "TH", "UH", "UW", "V",  "W",  "Y",  "Z",  "ZH"};

// models/data/cmudict/tokenizer.json's layout: 5 specials, then the letters (ids 5 .. 31), then the phonemes
json spec() {
    std::vector<std::string> tokens = {"<pad>", "<bos>", "<eos>", "<mask>", "<unk>"};
    tokens.insert(tokens.end(), kLetters.begin(), kLetters.end());
    tokens.insert(tokens.end(), kPhonemes.begin(), kPhonemes.end());
    return {{"type", "word"},
            {"tokens", tokens},
            {"specials", {{"pad", 0}, {"bos", 1}, {"eos", 2}, {"mask", 3}, {"unk", 4}}},
            {"letters", kLetters},
            {"phonemes", kPhonemes}};
}

io::G2PTokenizer tokenizer() {
    auto t = io::G2PTokenizer::from_json(spec());
    EXPECT_TRUE(t.ok()) << (t ? "" : t.error());
    return std::move(*t);
}

std::string word_error(std::string_view word) {
    auto ids = tokenizer().encode_word(word);
    return ids ? std::string() : ids.error();
}

TEST(G2PTokenizer, SpellsWordsWithLetterIds) {
    const auto t = tokenizer();
    EXPECT_EQ(*t.encode_word("hello's"), (Ids{12, 9, 16, 16, 19, 31, 23}));
    EXPECT_EQ(*t.encode_word("Hello"), *t.encode_word("hello"));  // ASCII uppercase is lowercased
    EXPECT_EQ(*t.encode_word("'z"), (Ids{31, 30}));
    EXPECT_EQ(t.letter_ids().size(), 27u);
    EXPECT_EQ(t.phoneme_ids().front(), 32);
    EXPECT_EQ(t.phoneme_ids().size(), 39u);
    EXPECT_TRUE(t.is_letter(5));
    EXPECT_FALSE(t.is_letter(32));
    EXPECT_TRUE(t.is_phoneme(70));
    EXPECT_FALSE(t.is_phoneme(2));
    EXPECT_FALSE(t.is_phoneme(71));
    EXPECT_FALSE(t.is_phoneme(-1));
    EXPECT_EQ(t.bos(), 1);
    EXPECT_EQ(t.eos(), 2);
    EXPECT_EQ(t.mask(), 3);
}

TEST(G2PTokenizer, OtherCharactersAreErrorsNamingThem) {
    EXPECT_NE(word_error("").find("the word is empty"), std::string::npos);
    EXPECT_NE(word_error("don t").find("character 4 of the word, ' ', is not a letter this model reads"),
              std::string::npos)
        << word_error("don t");
    EXPECT_NE(word_error("a1").find("character 2 of the word, '1'"), std::string::npos);
    EXPECT_NE(word_error("caf\xc3\xa9").find("character 4 of the word, '\xc3\xa9' (U+00E9)"),
              std::string::npos)
        << word_error("caf\xc3\xa9");
    EXPECT_NE(word_error("hi-fi").find("'-'"), std::string::npos);
    EXPECT_NE(word_error("x\xff").find("character 2 of the word, invalid UTF-8"), std::string::npos)
        << word_error("x\xff");
    // control characters and bidi overrides are named by code point, never echoed
    const std::string esc = word_error("\x1b[2J");
    EXPECT_NE(esc.find("character 1 of the word, U+001B"), std::string::npos) << esc;
    EXPECT_EQ(esc.find('\x1b'), std::string::npos);
    const std::string rlo = word_error("ab\xe2\x80\xae");
    EXPECT_NE(rlo.find("character 3 of the word, U+202E"), std::string::npos) << rlo;
    EXPECT_EQ(rlo.find("\xe2\x80\xae"), std::string::npos);
}

TEST(G2PTokenizer, PhonemeIdsToArpabetAndIpa) {
    const auto t = tokenizer();
    const Ids hello = {47, 34, 52, 56};  // HH AH L OW
    EXPECT_EQ(*t.arpabet(hello), (std::vector<std::string>{"HH", "AH", "L", "OW"}));
    EXPECT_EQ(*t.arpabet_text(hello), "HH AH L OW");
    EXPECT_EQ(*t.ipa_text(hello), "h\xc9\x99lo\xca\x8a");  // həloʊ
    EXPECT_EQ(*t.arpabet_text(Ids{}), "");
    EXPECT_NE(t.arpabet(Ids{47, 5}).error().find("id 5 at index 1 ('a') is not a phoneme"),
              std::string::npos);
    EXPECT_NE(t.arpabet_text(Ids{2}).error().find("('<eos>') is not a phoneme"), std::string::npos);
    EXPECT_NE(t.ipa_text(Ids{99}).error().find("id 99 at index 0 is outside the vocabulary"),
              std::string::npos);
}

TEST(G2PTokenizer, IpaTableCoversCmudictsPhonemes) {
    for (const std::string& p : kPhonemes) EXPECT_NE(io::ipa(p), "") << p;
    EXPECT_EQ(io::ipa("TH"), "\xce\xb8");   // θ
    EXPECT_EQ(io::ipa("DH"), "\xc3\xb0");   // ð
    EXPECT_EQ(io::ipa("CH"), "t\xca\x83");  // tʃ
    EXPECT_EQ(io::ipa("NG"), "\xc5\x8b");   // ŋ
    EXPECT_EQ(io::ipa("AH0"), "");          // stress marks are not CMUdict-without-stress symbols
    EXPECT_EQ(io::ipa("a"), "");
}

TEST(G2PTokenizer, ValidatesTheSpec) {
    auto error = [](const json& s) {
        auto t = io::G2PTokenizer::from_json(s);
        return t ? std::string() : t.error();
    };
    EXPECT_EQ(error(spec()), "");
    json s = spec();
    s.erase("letters");
    EXPECT_NE(error(s).find("'letters' must be a non-empty array"), std::string::npos);
    s = spec();
    s["phonemes"].push_back("QX");
    EXPECT_NE(error(s).find("'phonemes' lists 'QX', which is not one of the tokens"), std::string::npos);
    s = spec();
    s["phonemes"].push_back("a");
    EXPECT_NE(error(s).find("'a' is both a letter and a phoneme"), std::string::npos) << error(s);
    s = spec();
    s["letters"].push_back("AA");
    EXPECT_NE(error(s).find("letter 'AA' is not one printable ASCII character"), std::string::npos)
        << error(s);
    s = spec();
    s["letters"].push_back("<eos>");
    EXPECT_NE(error(s).find("'letters' lists the special '<eos>'"), std::string::npos) << error(s);
    s = spec();
    s["letters"].push_back("a");
    EXPECT_NE(error(s).find("'letters' lists 'a' twice"), std::string::npos) << error(s);
    s = spec();
    s["tokens"].push_back("B2");
    s["letters"].push_back("B2");
    EXPECT_NE(error(s).find("letter 'B2'"), std::string::npos) << error(s);
    s = spec();
    s["specials"].erase("mask");
    EXPECT_NE(error(s).find("no 'mask'"), std::string::npos) << error(s);
    s = spec();
    s["specials"].erase("bos");
    EXPECT_NE(error(s), "");
}

TEST(G2PTokenizer, AcceptsTheCommittedTokenizer) {
    std::ifstream f(std::string(ATNAT_SOURCE_DIR) + "/models/data/cmudict/tokenizer.json");
    if (!f) GTEST_SKIP() << "no models/data/cmudict/tokenizer.json";
    const json committed = json::parse(std::string(std::istreambuf_iterator<char>(f), {}));
    auto t = io::G2PTokenizer::from_json(committed);
    ASSERT_TRUE(t.ok()) << t.error();
    EXPECT_EQ(*t->encode_word("hello's"), *tokenizer().encode_word("hello's"));
    EXPECT_EQ(t->phoneme_ids(), tokenizer().phoneme_ids());
    for (int32_t id : t->phoneme_ids()) EXPECT_NE(io::ipa(t->vocabulary().token_text(id)), "");
}

// ------------------------------------------------------------------------------------------ WER and PER
TEST(G2PMetrics, EditDistanceIsLevenshtein) {
    auto ids = [](std::string_view s) { return Ids(s.begin(), s.end()); };
    EXPECT_EQ(decode::edit_distance(ids("kitten"), ids("sitting")), 3u);
    EXPECT_EQ(decode::edit_distance(ids("flaw"), ids("lawn")), 2u);
    EXPECT_EQ(decode::edit_distance(Ids{}, Ids{1, 2}), 2u);
    EXPECT_EQ(decode::edit_distance(Ids{1, 2}, Ids{}), 2u);
    EXPECT_EQ(decode::edit_distance(Ids{}, Ids{}), 0u);
    EXPECT_EQ(decode::edit_distance(ids("abc"), ids("abc")), 0u);
    EXPECT_EQ(decode::edit_distance(ids("abc"), ids("cab")), 2u);
}

TEST(G2PMetrics, WerAndPerAreTrainPysFigures) {
    // train.py: wer_per([[1,2,3],[1,2],[5,6,7],[]], [[[1,2,3]],[[1,2,4],[1,2]],[[5,6,8,9],[4,6,7]],[[1,2]]])
    // == (0.5, 0.3)
    decode::ErrorRates r;
    ASSERT_TRUE(r.add(Ids{1, 2, 3}, {{1, 2, 3}}).ok());
    ASSERT_TRUE(r.add(Ids{1, 2}, {{1, 2, 4}, {1, 2}}).ok());  // equal to the second pronunciation: correct
    ASSERT_TRUE(r.add(Ids{5, 6, 7}, {{5, 6, 8, 9}, {4, 6, 7}}).ok());
    ASSERT_TRUE(r.add(Ids{}, {{1, 2}}).ok());
    EXPECT_EQ(r.words, 4u);
    EXPECT_EQ(r.wrong, 2u);
    EXPECT_EQ(r.edits, 3u);
    EXPECT_EQ(r.reference_phonemes, 10u);
    EXPECT_DOUBLE_EQ(r.wer(), 0.5);
    EXPECT_DOUBLE_EQ(r.per(), 0.3);
    // the closest reference, the first of them on ties (Python's min): wer_per([[1]], [[[2], [3, 1]]]) == (1,
    // 1)
    auto s = decode::score_word(Ids{1}, {{2}, {3, 1}});
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->reference, 0u);
    EXPECT_EQ(s->reference_length, 1u);
    EXPECT_FALSE(s->correct());
    s = decode::score_word(Ids{3, 1}, {{2}, {3, 1}});
    EXPECT_TRUE(s->correct());
    EXPECT_EQ(s->reference, 1u);
    EXPECT_NE(r.add(Ids{1}, {}).error().find("without reference pronunciations"), std::string::npos);
    EXPECT_EQ(r.words, 4u);  // a refused word counts nowhere
    EXPECT_EQ(decode::ErrorRates{}.wer(), 0.0);
}

}  // namespace
}  // namespace atnat

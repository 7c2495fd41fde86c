#include "core/models/seq2seq.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>
#include <string>

#include "core/ops/ops.hpp"

namespace atnat::models {

namespace {

using detail::first_error;
using detail::linear;
using detail::rmsnorm_rows;

Result<Seq2SeqConfig> parse_config(const io::WeightFile& file) {
    const auto& json = file.config();
    Seq2SeqConfig cfg;
    const Status ints = detail::read_int_keys(json,
                                              {{"vocab_size", 1, 1 << 16, &cfg.vocab_size},
                                               {"d_model", 1, 4096, &cfg.d_model},
                                               {"n_heads", 1, 4096, &cfg.n_heads},
                                               {"d_ff", 1, 16384, &cfg.d_ff},
                                               {"enc_layers", 1, 64, &cfg.enc_layers},
                                               {"dec_layers", 1, 64, &cfg.dec_layers},
                                               {"max_letters", 1, 1024, &cfg.max_letters},
                                               {"max_phonemes", 1, 1024, &cfg.max_phonemes}},
                                              "g2p");
    if (!ints) return make_error(ints.error());
    auto eps = io::config_float(json, "norm_eps", 0.0, 1.0);
    if (!eps) return make_error("g2p " + eps.error());
    if (*eps <= 0.0) return make_error("g2p config 'norm_eps' must be > 0, found 0");
    cfg.norm_eps = float(*eps);
    if (cfg.d_model % cfg.n_heads != 0) {
        return make_error("g2p config: d_model " + std::to_string(cfg.d_model) +
                          " is not divisible by n_heads " + std::to_string(cfg.n_heads));
    }
    cfg.head_dim = cfg.d_model / cfg.n_heads;
    // make_state + one AtCache must not fail on a well-formed but absurd config: keep them under 1 GiB.
    if (const uint64_t bytes = state_bytes(cfg) + at_cache_bytes(cfg); bytes > (uint64_t(1) << 30)) {
        return make_error("g2p config: a decoding state would need " + std::to_string(bytes >> 20) +
                          " MiB, more than the 1024 MiB limit");
    }
    return cfg;
}

// Loads the tensors of one model, remembering every name it asked for (to find tensors left over).
struct TensorLoader {
    const io::WeightFile& file;
    std::set<std::string> used;
    std::string error;  // the first error

    template <size_t N>
    WeightView<N> get(const std::string& name, const std::array<size_t, N>& shape) {
        used.insert(name);
        auto t = detail::load_weight<N>(file, name, shape);
        if (t) return std::move(*t);
        if (error.empty()) error = t.error();
        static const float none = 0.f;  // a placeholder view; the loader returns `error` instead
        using Buffer = xt::xbuffer_adaptor<const float*, xt::no_ownership, std::allocator<float>>;
        std::array<size_t, N> zero{};
        return WeightView<N>(Buffer(&none, 0), zero);
    }
    Matrix matrix(const std::string& name, size_t rows, size_t cols) {
        used.insert(name);
        used.insert(scale_name(name));  // present only if the matrix is I8
        auto m = detail::load_matrix(file, name, rows, cols);
        if (m) return *m;
        if (error.empty()) error = m.error();
        return {};
    }
    AttentionWeights attention(const std::string& p, size_t d) {
        return {matrix(p + "wq", d, d), matrix(p + "wk", d, d), matrix(p + "wv", d, d),
                matrix(p + "wo", d, d)};
    }
    MlpWeights mlp(const std::string& p, size_t d, size_t f) {
        return {matrix(p + "w_gate", f, d), matrix(p + "w_up", f, d), matrix(p + "w_down", d, f)};
    }
    DecoderWeights decoder(const std::string& p, const Seq2SeqConfig& c) {
        const size_t d = c.d_model, f = c.d_ff;
        DecoderWeights w{get<2>(p + "pos", {c.max_phonemes, d}), {}, get<1>(p + "norm", {d})};
        for (size_t i = 0; i < c.dec_layers; ++i) {
            const std::string b = p + "blocks." + std::to_string(i) + ".";
            w.blocks.push_back({get<1>(b + "self_norm", {d}), attention(b + "self_attn.", d),
                                get<1>(b + "cross_norm", {d}), attention(b + "cross_attn.", d),
                                get<1>(b + "mlp_norm", {d}), mlp(b + "mlp.", d, f)});
        }
        return w;
    }
};

Status check_ids(const Seq2Seq& m, std::span<const int32_t> ids, const char* what) {
    for (size_t i = 0; i < ids.size(); ++i) {
        if (ids[i] < 0 || size_t(ids[i]) >= m.config.vocab_size) {
            return Status::failure(std::string(what) + " id " + std::to_string(ids[i]) + " at index " +
                                   std::to_string(i) + " is outside the vocabulary [0, " +
                                   std::to_string(m.config.vocab_size) + ")");
        }
    }
    return {};
}

// h = emb[ids] + pos[start .. start+n-1]   (G2P.encode / G2P.decode, first line)
void embed(const Seq2Seq& m, const WeightView<2>& pos, std::span<const int32_t> ids, size_t start, float* x) {
    const size_t d = m.config.d_model, n = ids.size();
    detail::embedding(m.weights.emb, ids, x);
    ops::add(x, pos.data() + start * d, x, n * d);
}

// att[i] = softmax(q_i kᵀ / sqrt(hd)) v per head, for queries i < n over keys K, V (row stride d). Query i
// sees keys 0 .. first_keys + i when causal, else all n_keys. probs(i, h): where head h's weights of query i
// go (scratch or the heatmap).
template <class Probs>
void attend(const Seq2SeqConfig& c, const float* q, const float* K, const float* V, float* att, size_t n,
            size_t n_keys, bool causal, size_t first_keys, Probs probs) {
    const size_t d = c.d_model, hd = c.head_dim;
    const float scale = float(1.0 / std::sqrt(double(hd)));  // (q @ k.transpose(-2, -1)) * (1 / sqrt(hd))
    for (size_t i = 0; i < n; ++i) {
        const size_t keys = causal ? first_keys + i + 1 : n_keys;
        for (size_t h = 0; h < c.n_heads; ++h) {
            ops::attention(q + i * d + h * hd, K + h * hd, V + h * hd, att + i * d + h * hd, probs(i, h),
                           keys, hd, d, scale, nullptr);
        }
    }
}

// h = h + mlp(mlp_norm(h)) over n rows (EncoderBlock / DecoderBlock, last line)
void mlp_block(const Seq2Seq& m, Seq2SeqState& s, const WeightView<1>& norm, const MlpWeights& w, size_t n) {
    const size_t d = m.config.d_model;
    rmsnorm_rows(s.x.data(), norm, s.xb.data(), n, d, m.config.norm_eps);
    linear(s.xb.data(), w.w_gate, s.gate.data(), n);
    linear(s.xb.data(), w.w_up, s.up.data(), n);
    ops::swiglu(s.gate.data(), s.up.data(), s.gate.data(), n * m.config.d_ff);  // silu(w_gate x) * w_up x
    linear(s.gate.data(), w.w_down, s.proj.data(), n);
    ops::add(s.x.data(), s.proj.data(), s.x.data(), n * d);
}

// The AT decoder may run tokens at positions start .. start+n-1 on this cache: a word is encoded, the cache
// holds this word's rows 0 .. start-1 (any cache will do at start 0) and the positions exist.
Status check_at_call(const Seq2Seq& m, const Seq2SeqState& s, const AtCache& cache,
                     std::span<const int32_t> tokens, size_t start) {
    const size_t n = tokens.size(), T = m.config.max_phonemes;
    if (s.n_letters == 0) return Status::failure("no word encoded yet (call encode first)");
    if (n == 0) return Status::failure("no tokens");
    if (start > 0 && cache.word != s.word) {
        return Status::failure("position " + std::to_string(start) +
                               ", but the cache holds no positions of the encoded word: start at position 0");
    }
    if (start > cache.length) {
        return Status::failure("position " + std::to_string(start) + " is past the cache (" +
                               std::to_string(cache.length) + " positions)");
    }
    if (start + n > T) {
        return Status::failure("positions " + std::to_string(start) + ".." + std::to_string(start + n - 1) +
                               " are past the decoder's " + std::to_string(T) + " positions");
    }
    return check_ids(m, tokens, "token");
}

// G2P.decode over n checked tokens at positions start .. start+n-1 of one decoder; cache != nullptr for
// the (causal) AT decoder, whose self-attention keys/values go into the cache rows and attend to rows
// 0 .. position. Writes logits rows 0 .. n-1 and cross_attention rows start .. start+n-1.
void decode(const Seq2Seq& m, Seq2SeqState& s, const DecoderWeights& dw, const CrossCache& cross,
            std::span<const int32_t> tokens, size_t start, AtCache* cache) {
    const auto& c = m.config;
    const size_t n = tokens.size(), d = c.d_model, S = s.n_letters;
    float* x = s.x.data();
    float* xb = s.xb.data();
    embed(m, dw.pos, tokens, start, x);  // h = self.emb(tokens) + decoder.pos[:T]
    for (size_t l = 0; l < c.dec_layers; ++l) {
        const DecoderBlockWeights& b = dw.blocks[l];
        // --- self-attention: h = h + self_attn(self_norm(h), self_norm(h), causal or bidirectional)
        float* K = cache ? &cache->key(l, 0, 0) : s.k.data();  // [T_max, d] or [n, d]
        float* V = cache ? &cache->value(l, 0, 0) : s.v.data();
        rmsnorm_rows(x, b.self_norm, xb, n, d, c.norm_eps);
        linear(xb, b.self_attn.wq, s.q.data(), n);
        linear(xb, b.self_attn.wk, K + start * d, n);
        linear(xb, b.self_attn.wv, V + start * d, n);
        attend(c, s.q.data(), K, V, s.att.data(), n, n, cache != nullptr, start,
               [&](size_t, size_t) { return s.scores.data(); });
        linear(s.att.data(), b.self_attn.wo, s.proj.data(), n);
        ops::add(x, s.proj.data(), x, n * d);
        // --- cross-attention: h = h + cross_attn(cross_norm(h), memory); k, v of the memory cached by encode
        rmsnorm_rows(x, b.cross_norm, xb, n, d, c.norm_eps);
        linear(xb, b.cross_attn.wq, s.q.data(), n);
        attend(c, s.q.data(), &cross.key(l, 0, 0), &cross.value(l, 0, 0), s.att.data(), n, S, false, 0,
               [&](size_t i, size_t h) { return &s.cross_attention(l, h, start + i, 0); });
        linear(s.att.data(), b.cross_attn.wo, s.proj.data(), n);
        ops::add(x, s.proj.data(), x, n * d);
        // --- h = h + mlp(mlp_norm(h))
        mlp_block(m, s, b.mlp_norm, b.mlp, n);
    }
    rmsnorm_rows(x, dw.norm, xb, n, d, c.norm_eps);  // decoder.norm(h), kept in xb
    linear(xb, m.weights.emb, s.logits.data(), n);   // @ self.emb.weight.t()   [n, V]
    if (cache) {
        cache->length = start + n;
        cache->word = s.word;
    }
}

}  // namespace

Result<Seq2Seq> load_seq2seq(const io::WeightFile& file) {
    if (file.arch() != "g2p") {
        return make_error("load_seq2seq: arch '" + file.arch() +
                          "' is not an encoder-decoder (expected 'g2p', written by models/g2p/export.py)");
    }
    if (Status s = file.check_weight_values(io::kMaxWeightMagnitude); !s) return make_error(s.error());
    auto cfg = parse_config(file);
    if (!cfg) return make_error(cfg.error());
    const Seq2SeqConfig& c = *cfg;
    const size_t V = c.vocab_size, d = c.d_model, f = c.d_ff;

    TensorLoader t{file, {}, {}};
    auto emb = t.matrix("emb", V, d);
    auto enc_pos = t.get<2>("enc_pos", {c.max_letters, d});
    std::vector<EncoderBlockWeights> enc_blocks;
    for (size_t i = 0; i < c.enc_layers; ++i) {
        const std::string b = "enc_blocks." + std::to_string(i) + ".";
        enc_blocks.push_back({t.get<1>(b + "attn_norm", {d}), t.attention(b + "attn.", d),
                              t.get<1>(b + "mlp_norm", {d}), t.mlp(b + "mlp.", d, f)});
    }
    auto enc_norm = t.get<1>("enc_norm", {d});
    auto at = t.decoder("at.", c);
    auto nat = t.decoder("nat.", c);
    auto length_head = t.get<2>("length_head", {c.max_phonemes + 1, d});
    if (!t.error.empty()) return make_error(t.error);
    for (const std::string& name : file.names()) {
        if (!t.used.count(name)) {
            return make_error("tensor '" + name + "' is not part of a 'g2p' model (" +
                              std::to_string(t.used.size()) + " tensors expected, the file has " +
                              std::to_string(file.tensor_count()) + ")");
        }
    }
    return Seq2Seq{
        file, c,
        Seq2SeqWeights{std::move(emb), std::move(enc_pos), std::move(enc_blocks), std::move(enc_norm),
                       std::move(at), std::move(nat), std::move(length_head)}};
}

Seq2SeqState make_state(const Seq2Seq& model) {
    const auto& c = model.config;
    const size_t S = c.max_letters, T = c.max_phonemes, L = c.dec_layers, d = c.d_model;
    const size_t R = std::max(S, T);
    Seq2SeqState s;
    s.memory = xt::zeros<float>({S, d});
    for (CrossCache* cc : {&s.at_cross, &s.nat_cross}) {
        cc->key = xt::zeros<float>({L, S, d});
        cc->value = xt::zeros<float>({L, S, d});
    }
    s.length_logits = xt::zeros<float>({T + 1});
    s.cross_attention = xt::zeros<float>({L, c.n_heads, T, S});
    for (auto* a : {&s.x, &s.xb, &s.q, &s.k, &s.v, &s.att, &s.proj}) *a = xt::zeros<float>({R, d});
    s.gate = xt::zeros<float>({R, c.d_ff});
    s.up = xt::zeros<float>({R, c.d_ff});
    s.scores = xt::zeros<float>({R});
    s.logits = xt::zeros<float>({T, c.vocab_size});
    return s;
}

uint64_t state_bytes(const Seq2SeqConfig& c) {
    const uint64_t S = c.max_letters, T = c.max_phonemes, L = c.dec_layers, d = c.d_model;
    const uint64_t R = std::max(S, T);
    const uint64_t floats = S * d                           // memory
                            + 4 * L * S * d                 // at_cross, nat_cross: key, value
                            + (T + 1)                       // length_logits
                            + L * c.n_heads * T * S         // cross_attention
                            + R * (7 * d + 2 * c.d_ff + 1)  // x xb q k v att proj, gate up, scores
                            + T * c.vocab_size;             // logits
    return floats * sizeof(float);
}

uint64_t at_cache_bytes(const Seq2SeqConfig& c) {
    return 2 * uint64_t(c.dec_layers) * c.max_phonemes * c.d_model * sizeof(float);
}

AtCache make_at_cache(const Seq2Seq& model) {
    const auto& c = model.config;
    AtCache cache;
    cache.key = xt::zeros<float>({c.dec_layers, c.max_phonemes, c.d_model});
    cache.value = xt::zeros<float>({c.dec_layers, c.max_phonemes, c.d_model});
    return cache;
}

void copy_cache(const Seq2Seq& model, const AtCache& src, AtCache& dst) {
    const auto& c = model.config;
    const size_t n = src.length * c.d_model;  // rows 0 .. length-1 of each layer are contiguous
    for (size_t l = 0; l < c.dec_layers; ++l) {
        std::memcpy(&dst.key(l, 0, 0), &src.key(l, 0, 0), n * sizeof(float));
        std::memcpy(&dst.value(l, 0, 0), &src.value(l, 0, 0), n * sizeof(float));
    }
    dst.length = src.length;
    dst.word = src.word;
}

Status encode(const Seq2Seq& model, Seq2SeqState& state, std::span<const int32_t> letters) {
    const auto& c = model.config;
    const auto& w = model.weights;
    const size_t S = letters.size(), d = c.d_model;
    if (S == 0) return Status::failure("encode: the word is empty");
    if (S > c.max_letters) {
        return Status::failure("encode: the word has " + std::to_string(S) +
                               " letters; this model reads at most " + std::to_string(c.max_letters));
    }
    if (Status st = check_ids(model, letters, "letter"); !st) return Status::failure("encode: " + st.error());
    Seq2SeqState& s = state;
    float* x = s.x.data();
    float* xb = s.xb.data();
    embed(model, w.enc_pos, letters, 0, x);  // h = self.emb(letters) + self.enc_pos[:S]
    for (const EncoderBlockWeights& b : w.enc_blocks) {
        // h = h + attn(attn_norm(h), attn_norm(h), every letter sees every letter)
        rmsnorm_rows(x, b.attn_norm, xb, S, d, c.norm_eps);
        linear(xb, b.attn.wq, s.q.data(), S);
        linear(xb, b.attn.wk, s.k.data(), S);
        linear(xb, b.attn.wv, s.v.data(), S);
        attend(c, s.q.data(), s.k.data(), s.v.data(), s.att.data(), S, S, false, 0,
               [&](size_t, size_t) { return s.scores.data(); });
        linear(s.att.data(), b.attn.wo, s.proj.data(), S);
        ops::add(x, s.proj.data(), x, S * d);
        mlp_block(model, s, b.mlp_norm, b.mlp, S);  // h = h + mlp(mlp_norm(h))
    }
    rmsnorm_rows(x, w.enc_norm, s.memory.data(), S, d, c.norm_eps);  // memory = self.enc_norm(h)

    // What every decoder call reads of the memory: k = wk(m), v = wv(m) of each cross-attention, once.
    for (auto [dw, cross] : {std::pair{&w.at, &s.at_cross}, std::pair{&w.nat, &s.nat_cross}}) {
        for (size_t l = 0; l < c.dec_layers; ++l) {
            linear(s.memory.data(), dw->blocks[l].cross_attn.wk, &cross->key(l, 0, 0), S);
            linear(s.memory.data(), dw->blocks[l].cross_attn.wv, &cross->value(l, 0, 0), S);
        }
    }
    // length_logits: self.length_head((memory * w).sum(1) / w.sum(1)), the mean over the letters
    float* mean = s.proj.data();
    std::fill(mean, mean + d, 0.f);
    for (size_t j = 0; j < S; ++j) ops::add(mean, &s.memory(j, 0), mean, d);
    for (size_t i = 0; i < d; ++i) mean[i] /= float(S);
    ops::gemv(w.length_head.data(), mean, s.length_logits.data(), c.max_phonemes + 1, d);

    s.n_letters = S;
    ++s.word;
    return {};
}

Result<std::span<const float>> at_step(const Seq2Seq& model, Seq2SeqState& state, AtCache& cache,
                                       int32_t token, size_t pos) {
    const std::span<const int32_t> one(&token, 1);
    if (Status st = check_at_call(model, state, cache, one, pos); !st)
        return make_error("at_step: " + st.error());
    decode(model, state, model.weights.at, state.at_cross, one, pos, &cache);
    return std::span<const float>(state.logits.data(), model.config.vocab_size);
}

Result<std::span<const float>> at_forward_all(const Seq2Seq& model, Seq2SeqState& state, AtCache& cache,
                                              std::span<const int32_t> tokens, size_t start) {
    if (Status st = check_at_call(model, state, cache, tokens, start); !st) {
        return make_error("at_forward_all: " + st.error());
    }
    decode(model, state, model.weights.at, state.at_cross, tokens, start, &cache);
    return std::span<const float>(state.logits.data(), tokens.size() * model.config.vocab_size);
}

Result<std::span<const float>> nat_forward(const Seq2Seq& model, Seq2SeqState& state,
                                           std::span<const int32_t> tokens) {
    const auto& c = model.config;
    const size_t n = tokens.size();
    if (state.n_letters == 0) return make_error("nat_forward: no word encoded yet (call encode first)");
    if (n == 0) return make_error("nat_forward: no tokens");
    if (n > c.max_phonemes) {
        return make_error("nat_forward: " + std::to_string(n) + " positions; the decoder has " +
                          std::to_string(c.max_phonemes));
    }
    if (Status st = check_ids(model, tokens, "token"); !st) return make_error("nat_forward: " + st.error());
    decode(model, state, model.weights.nat, state.nat_cross, tokens, 0, nullptr);
    return std::span<const float>(state.logits.data(), n * c.vocab_size);
}

}  // namespace atnat::models

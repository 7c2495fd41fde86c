#include "core/models/transformer.hpp"

#include <cmath>
#include <cstring>

#include "core/ops/ops.hpp"

namespace atnat::models {

namespace {

using detail::embedding;
using detail::first_error;
using detail::linear;
using detail::load_matrix;
using detail::load_weight;
using detail::rmsnorm_rows;

Result<TransformerConfig> parse_config(const io::WeightFile& file) {
    const auto& json = file.config();
    TransformerConfig cfg;
    const Status ints = detail::read_int_keys(json,
                                              {{"vocab_size", 1, 1 << 20, &cfg.vocab_size},
                                               {"d_model", 1, 8192, &cfg.d_model},
                                               {"n_layers", 1, 256, &cfg.n_layers},
                                               {"n_heads", 1, 8192, &cfg.n_heads},
                                               {"d_ff", 1, 65536, &cfg.d_ff},
                                               {"context", 1, 8192, &cfg.context}},
                                              "transformer");
    if (!ints) return make_error(ints.error());
    auto theta = io::config_float(json, "rope_theta", 1.0, 1e9);
    auto eps = io::config_float(json, "norm_eps", 0.0, 1.0);
    if (const std::string* e = first_error(theta, eps)) return make_error("transformer " + *e);
    cfg.rope_theta = float(*theta);
    cfg.norm_eps = float(*eps);
    if (*eps <= 0.0) return make_error("transformer config 'norm_eps' must be > 0, found 0");
    if (cfg.d_model % cfg.n_heads != 0) {
        return make_error("transformer config: d_model " + std::to_string(cfg.d_model) +
                          " is not divisible by n_heads " + std::to_string(cfg.n_heads));
    }
    cfg.head_dim = cfg.d_model / cfg.n_heads;
    if (cfg.head_dim % 2 != 0) {
        return make_error(
            "transformer config: head_dim = d_model / n_heads = " + std::to_string(cfg.head_dim) +
            " must be even (rotary embedding rotates pairs (i, i + head_dim/2))");
    }
    // make_state(model, 0) must not fail on a well-formed but absurd config (scoring makes one outside any
    // request's budget).
    if (const uint64_t bytes = state_bytes(cfg, 0); bytes > kMaxStateBytes) {
        return make_error("transformer config: a decoding state of the whole context would need " +
                          std::to_string(bytes >> 20) + " MiB (KV cache + activations), more than the " +
                          std::to_string(kMaxStateBytes >> 20) + " MiB limit");
    }
    return cfg;
}

// In place rotary embedding of rows at positions start, start+1, ... (rotate-half, all heads of a row).
void rope_rows(const Transformer& m, float* x, size_t n, size_t start) {
    const auto& c = m.config;
    const size_t half = c.head_dim / 2;
    for (size_t r = 0; r < n; ++r) {
        const size_t p = start + r;
        ops::rope(x + r * c.d_model, m.rope_cos.data() + p * half, m.rope_sin.data() + p * half, c.n_heads,
                  c.head_dim);
    }
}

Status check_tokens(const Transformer& m, std::span<const int32_t> tokens) {
    for (size_t i = 0; i < tokens.size(); ++i) {
        const int32_t t = tokens[i];
        if (t < 0 || size_t(t) >= m.config.vocab_size) {
            return Status::failure("token id " + std::to_string(t) + " at index " + std::to_string(i) +
                                   " is outside the vocabulary [0, " + std::to_string(m.config.vocab_size) +
                                   ")");
        }
    }
    return {};
}

enum class Logits { last, all };

// The forward pass, GPT.forward in model.py, over n <= max_rows checked tokens at positions start ..
// start+n-1. Writes K/V rows start .. start+n-1 of every layer; logits of the last row (into logits row 0) or
// of all rows.
void forward(const Transformer& m, TransformerState& s, std::span<const int32_t> tokens, size_t start,
             Logits which) {
    const auto& c = m.config;
    const auto& w = m.weights;
    const size_t n = tokens.size(), d = c.d_model, f = c.d_ff, hd = c.head_dim;
    const float att_scale = float(1.0 / std::sqrt(double(hd)));
    float* x = s.x.data();
    float* xb = s.xb.data();
    float* q = s.q.data();
    float* att = s.att.data();
    float* proj = s.proj.data();
    float* gate = s.gate.data();
    float* up = s.up.data();

    embedding(w.tok_emb, tokens, x);  // h = tok_emb[tokens]
    for (size_t l = 0; l < c.n_layers; ++l) {
        const LayerWeights& L = w.layers[l];
        float* K = &s.key_cache(l, 0, 0);  // [C, d]
        float* V = &s.value_cache(l, 0, 0);
        // --- attention: h = h + wo(attn(attn_norm(h)))
        rmsnorm_rows(x, L.attn_norm, xb, n, d, c.norm_eps);
        linear(xb, L.wq, q, n);
        linear(xb, L.wk, K + start * d, n);  // keys and values go straight into the cache rows
        linear(xb, L.wv, V + start * d, n);
        rope_rows(m, q, n, start);
        rope_rows(m, K + start * d, n, start);
        for (size_t i = 0; i < n; ++i) {
            const size_t n_keys = c.causal ? start + i + 1 : n;  // causal: key j <= query position
            for (size_t h = 0; h < c.n_heads; ++h) {
                ops::attention(q + i * d + h * hd, K + h * hd, V + h * hd, att + i * d + h * hd,
                               s.scores.data(), n_keys, hd, d, att_scale, nullptr);
            }
        }
        linear(att, L.wo, proj, n);
        ops::add(x, proj, x, n * d);
        // --- MLP: h = h + w_down(silu(w_gate(mlp_norm(h))) * w_up(mlp_norm(h)))
        rmsnorm_rows(x, L.mlp_norm, xb, n, d, c.norm_eps);
        linear(xb, L.w_gate, gate, n);
        linear(xb, L.w_up, up, n);
        ops::swiglu(gate, up, gate, n * f);
        linear(gate, L.w_down, proj, n);
        ops::add(x, proj, x, n * d);
    }
    rmsnorm_rows(x, w.final_norm, xb, n, d, c.norm_eps);  // final_norm(h), kept in xb
    if (which == Logits::all) {
        linear(xb, w.tok_emb, s.logits.data(), n);  // [n, V] = final_norm(h) · tok_embᵀ
    } else {
        linear(xb + (n - 1) * d, w.tok_emb, s.logits.data(), 1);
    }
    s.length = start + n;
}

std::string where(size_t start, size_t n, size_t length, size_t context) {
    return "positions " + std::to_string(start) + ".." + std::to_string(start + n - 1) + " (cache holds " +
           std::to_string(length) + ", context " + std::to_string(context) + ")";
}

}  // namespace

Result<Transformer> load_transformer(const io::WeightFile& file) {
    const std::string& arch = file.arch();
    if (arch != "gpt" && arch != "cmlm") {
        return make_error("load_transformer: arch '" + arch +
                          "' is not a transformer (expected 'gpt' or 'cmlm')");
    }
    if (Status s = file.check_weight_values(io::kMaxWeightMagnitude); !s) return make_error(s.error());
    auto cfg = parse_config(file);
    if (!cfg) return make_error(cfg.error());
    TransformerConfig c = *cfg;
    c.causal = arch == "gpt";
    const size_t V = c.vocab_size, d = c.d_model, f = c.d_ff;

    auto tok_emb = load_matrix(file, "tok_emb", V, d);
    auto final_norm = load_weight<1>(file, "final_norm", {d});
    if (const std::string* e = first_error(tok_emb, final_norm)) return make_error(*e);
    std::vector<LayerWeights> layers;
    layers.reserve(c.n_layers);
    for (size_t i = 0; i < c.n_layers; ++i) {
        const std::string p = "layers." + std::to_string(i) + ".";
        auto attn_norm = load_weight<1>(file, p + "attn_norm", {d});
        auto wq = load_matrix(file, p + "wq", d, d);
        auto wk = load_matrix(file, p + "wk", d, d);
        auto wv = load_matrix(file, p + "wv", d, d);
        auto wo = load_matrix(file, p + "wo", d, d);
        auto mlp_norm = load_weight<1>(file, p + "mlp_norm", {d});
        auto w_gate = load_matrix(file, p + "w_gate", f, d);
        auto w_up = load_matrix(file, p + "w_up", f, d);
        auto w_down = load_matrix(file, p + "w_down", d, f);
        if (const std::string* e = first_error(attn_norm, wq, wk, wv, wo, mlp_norm, w_gate, w_up, w_down)) {
            return make_error(*e);
        }
        layers.push_back(LayerWeights{*attn_norm, *wq, *wk, *wv, *wo, *mlp_norm, *w_gate, *w_up, *w_down});
    }

    // rope_tables(): angle[p, i] = p · θ^(-2i/hd) in double, then cos/sin rounded to float.
    const size_t half = c.head_dim / 2;
    xt::xtensor<float, 2> cos = xt::zeros<float>({c.context, half});
    xt::xtensor<float, 2> sin = xt::zeros<float>({c.context, half});
    for (size_t i = 0; i < half; ++i) {
        const double inv_freq = std::pow(double(c.rope_theta), -double(2 * i) / double(c.head_dim));
        for (size_t p = 0; p < c.context; ++p) {
            const double angle = double(p) * inv_freq;
            cos(p, i) = float(std::cos(angle));
            sin(p, i) = float(std::sin(angle));
        }
    }
    return Transformer{
        file,           arch,          c, TransformerWeights{*tok_emb, std::move(layers), *final_norm},
        std::move(cos), std::move(sin)};
}

namespace {

size_t state_rows(const TransformerConfig& c, size_t max_rows) {
    return (max_rows == 0 || max_rows > c.context) ? c.context : max_rows;
}

}  // namespace

uint64_t state_bytes(const TransformerConfig& c, size_t max_rows) {
    const uint64_t rows = state_rows(c, max_rows), d = c.d_model;
    const uint64_t floats = 2 * uint64_t(c.n_layers) * c.context * d      // key_cache, value_cache
                            + rows * (5 * d + 2 * c.d_ff + c.vocab_size)  // x xb q att proj, gate up, logits
                            + c.context;                                  // scores
    return floats * sizeof(float);
}

TransformerState make_state(const Transformer& model, size_t max_rows) {
    const auto& c = model.config;
    const size_t rows = state_rows(c, max_rows);
    TransformerState s;
    s.max_rows = rows;
    // Not zeroed: a forward reads only what it or an earlier call wrote (K/V rows below length, this call's
    // activations and logits). Zeroing these ~5 MB took 1% of a poem's decoding and 3% of a prefill in wasm.
    s.key_cache = xt::empty<float>({c.n_layers, c.context, c.d_model});
    s.value_cache = xt::empty<float>({c.n_layers, c.context, c.d_model});
    s.x = xt::empty<float>({rows, c.d_model});
    s.xb = xt::empty<float>({rows, c.d_model});
    s.q = xt::empty<float>({rows, c.d_model});
    s.att = xt::empty<float>({rows, c.d_model});
    s.proj = xt::empty<float>({rows, c.d_model});
    s.gate = xt::empty<float>({rows, c.d_ff});
    s.up = xt::empty<float>({rows, c.d_ff});
    s.scores = xt::empty<float>({c.context});
    s.logits = xt::empty<float>({rows, c.vocab_size});
    return s;
}

void copy_cache(const Transformer& model, const TransformerState& src, TransformerState& dst) {
    const auto& c = model.config;
    const size_t n = src.length * c.d_model;  // rows 0 .. length-1 of each layer are contiguous
    for (size_t l = 0; l < c.n_layers; ++l) {
        std::memcpy(&dst.key_cache(l, 0, 0), &src.key_cache(l, 0, 0), n * sizeof(float));
        std::memcpy(&dst.value_cache(l, 0, 0), &src.value_cache(l, 0, 0), n * sizeof(float));
    }
    dst.length = src.length;
}

Result<std::span<const float>> forward_token(const Transformer& model, TransformerState& state, int32_t token,
                                             size_t pos) {
    const auto& c = model.config;
    if (!c.causal)
        return make_error("forward_token: a non-causal ('" + model.arch +
                          "') model has no KV cache decoding");
    if (pos > state.length || pos >= c.context) {
        return make_error("forward_token: position " + std::to_string(pos) + " is past the cache (" +
                          std::to_string(state.length) + " positions) or the context (" +
                          std::to_string(c.context) + ")");
    }
    const std::span<const int32_t> one(&token, 1);
    if (Status st = check_tokens(model, one); !st) return make_error("forward_token: " + st.error());
    forward(model, state, one, pos, Logits::last);
    return std::span<const float>(state.logits.data(), c.vocab_size);
}

Result<std::span<const float>> prefill(const Transformer& model, TransformerState& state,
                                       std::span<const int32_t> tokens, size_t start) {
    const auto& c = model.config;
    if (!c.causal) return make_error("prefill: a non-causal ('" + model.arch + "') model: use forward_all");
    if (tokens.empty()) return make_error("prefill: no tokens");
    if (start > state.length || start + tokens.size() > c.context) {
        return make_error("prefill: " + where(start, tokens.size(), state.length, c.context) +
                          " do not fit after the cache within the context");
    }
    if (Status st = check_tokens(model, tokens); !st) return make_error("prefill: " + st.error());
    for (size_t off = 0; off < tokens.size(); off += state.max_rows) {
        const size_t n = std::min(state.max_rows, tokens.size() - off);
        forward(model, state, tokens.subspan(off, n), start + off, Logits::last);
    }
    return std::span<const float>(state.logits.data(), c.vocab_size);
}

Result<std::span<const float>> forward_all(const Transformer& model, TransformerState& state,
                                           std::span<const int32_t> tokens, size_t start) {
    const auto& c = model.config;
    const size_t n = tokens.size();
    if (n == 0) return make_error("forward_all: no tokens");
    if (!c.causal && start != 0) {
        return make_error("forward_all: a non-causal ('" + model.arch +
                          "') model reads the whole sequence: start must be 0");
    }
    if (start > state.length || start + n > c.context) {
        return make_error("forward_all: " + where(start, n, state.length, c.context) +
                          " do not fit after the cache within the context");
    }
    if (n > state.max_rows) {
        return make_error("forward_all: " + std::to_string(n) + " tokens, but this state holds logits for " +
                          std::to_string(state.max_rows) + " rows");
    }
    if (Status st = check_tokens(model, tokens); !st) return make_error("forward_all: " + st.error());
    forward(model, state, tokens, start, Logits::all);
    return std::span<const float>(state.logits.data(), n * c.vocab_size);
}

}  // namespace atnat::models

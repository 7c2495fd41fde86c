#include "core/models/pixnat.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "core/ops/ops.hpp"

namespace atnat::models {

Result<PixNAT> PixNAT::load(io::WeightFile file) {
    if (file.arch() != "pixnat") {
        return make_error("weight file: arch is '" + file.arch() + "', this loader reads 'pixnat'");
    }
    if (Status s = file.check_weight_values(io::kMaxWeightMagnitude); !s) return make_error(s.error());
    const auto& j = file.config();
    PixNATConfig cfg;
    struct Field {
        const char* key;
        int* dst;
        int64_t lo, hi;
    };
    const Field fields[] = {
        {"levels", &cfg.levels, 2, 255},        {"channels", &cfg.channels, 1, 1024},
        {"n_classes", &cfg.n_classes, 1, 1000}, {"height", &cfg.height, 1, 256},
        {"width", &cfg.width, 1, 256},
    };
    for (const auto& f : fields) {
        auto v = io::config_int(j, f.key, f.lo, f.hi);
        if (!v) return make_error(v.error());
        *f.dst = static_cast<int>(*v);
    }
    const auto it = j.find("dilations");
    if (it == j.end() || !it->is_array() || it->empty() || it->size() > 64) {
        return make_error("config 'dilations' must be a list of 1 to 64 integers (one per block)");
    }
    cfg.dilations.clear();
    for (const auto& d : *it) {
        if (!d.is_number_integer() || d.get<int64_t>() < 1 || d.get<int64_t>() > 256) {
            return make_error("config 'dilations': " + d.dump() + " is not an integer in [1, 256]");
        }
        cfg.dilations.push_back(d.get<int>());
    }

    // Optional keys written by export.py: if present they must agree with what forward() computes.
    if (j.contains("blocks") && j["blocks"] != cfg.dilations.size()) {
        return make_error("config 'blocks' = " + j["blocks"].dump() + " but 'dilations' lists " +
                          std::to_string(cfg.dilations.size()));
    }
    if (j.contains("mask_id") && j["mask_id"] != cfg.levels) {
        return make_error("config 'mask_id' = " + j["mask_id"].dump() +
                          ": this loader uses MASK = levels = " + std::to_string(cfg.levels));
    }
    if (j.contains("kernel") && j["kernel"] != 3) {
        return make_error("config 'kernel' = " + j["kernel"].dump() +
                          ": this loader implements 3x3 convolutions");
    }
    if (j.contains("layernorm_eps")) {
        auto eps = io::config_float(j, "layernorm_eps", 0.0, 1e-2);
        if (!eps) return make_error(eps.error());
        cfg.layernorm_eps = float(*eps);
    }
    if (j.contains("default_gumbel_temp")) {
        auto g = io::config_float(j, "default_gumbel_temp", 0.0, 100.0);
        if (!g) return make_error(g.error());
        cfg.default_gumbel_temp = float(*g);
    }

    PixNAT m(std::move(file), cfg);
    const size_t L = cfg.levels, C = cfg.channels, K = cfg.n_classes, P = size_t(cfg.height) * cfg.width;
    std::string error;
    auto f32 = [&](const std::string& name, const std::vector<size_t>& shape) -> const float* {
        if (!error.empty()) return nullptr;
        auto t = m.file_.require(name, shape, io::Dtype::f32);
        if (!t) {
            error = t.error();
            return nullptr;
        }
        return (*t)->f32();
    };
    m.w_.tok_emb = f32("tok_emb", {L + 1, C});
    m.w_.pos_emb = f32("pos_emb", {P, C});
    for (size_t i = 0; i < cfg.dilations.size(); ++i) {
        const std::string p = "blocks." + std::to_string(i) + ".";
        PixNATBlockWeights b{};
        b.dilation = cfg.dilations[i];
        b.norm_weight = f32(p + "norm.weight", {C});
        b.norm_bias = f32(p + "norm.bias", {C});
        b.conv_weight = f32(p + "conv.weight", {3, 3, C, C});
        b.conv_bias = f32(p + "conv.bias", {C});
        b.class_emb = f32(p + "class_emb", {K, C});
        b.proj_weight = f32(p + "proj.weight", {C, C});
        b.proj_bias = f32(p + "proj.bias", {C});
        m.w_.blocks.push_back(b);
    }
    m.w_.norm_out_weight = f32("norm_out.weight", {C});
    m.w_.norm_out_bias = f32("norm_out.bias", {C});
    m.w_.head_weight = f32("head.weight", {L, C});
    m.w_.head_bias = f32("head.bias", {L});
    if (!error.empty()) return make_error(error);
    return m;
}

namespace {

// The floats of one sub-grid buffer: the largest ceil(H/d) * ceil(W/d) * C of the dilated blocks.
uint64_t sub_grid_floats(const PixNATConfig& c) {
    uint64_t sub = 0;
    for (int d : c.dilations) {
        const uint64_t D = uint64_t(d);
        if (d > 1)
            sub = std::max(sub, ((c.height + D - 1) / D) * ((c.width + D - 1) / D) * uint64_t(c.channels));
    }
    return sub;
}

}  // namespace

uint64_t PixNATState::bytes(const PixNATConfig& c) {
    const uint64_t P = uint64_t(c.height) * uint64_t(c.width), C = uint64_t(c.channels);
    const uint64_t floats = c.dilations.size() * C     // conv_bias_
                            + P                        // ids_ (int32)
                            + 3 * P * C                // h_, z_, t_
                            + 2 * sub_grid_floats(c)   // sub_in_, sub_out_
                            + P * uint64_t(c.levels);  // logits_
    return floats * sizeof(float);
}

PixNATState::PixNATState(const PixNAT& model)
    : model_(model),
      H_(model.config().height),
      W_(model.config().width),
      P_(H_ * W_),
      C_(model.config().channels),
      L_(model.config().levels),
      conv_bias_(model.config().dilations.size() * C_),
      ids_(P_),
      h_(P_ * C_),
      z_(P_ * C_),
      t_(P_ * C_),
      logits_(P_ * L_) {
    sub_in_.resize(sub_grid_floats(model.config()));
    sub_out_.resize(sub_in_.size());
    set_class(0);
}

Status PixNATState::set_class(int c) {
    const auto& cfg = model_.config();
    if (c < 0 || c >= cfg.n_classes) {
        return Status::failure("class " + std::to_string(c) + " is outside [0, " +
                               std::to_string(cfg.n_classes - 1) + "]");
    }
    cls_ = c;
    const auto& blocks = model_.weights().blocks;
    for (size_t i = 0; i < blocks.size(); ++i) {
        ops::add(blocks[i].conv_bias, blocks[i].class_emb + size_t(c) * C_, &conv_bias_[i * C_], C_);
    }
    return Status::ok_status();
}

// out = conv2d(in, 3x3, dilation d, zero padding d) + bias, via the d*d sub-grids (see the header).
void PixNATState::dilated_conv(const PixNATBlockWeights& b, const float* bias, const float* in, float* out) {
    const size_t d = b.dilation, C = C_;
    if (d == 1) {
        ops::conv2d(in, H_, W_, C, b.conv_weight, bias, nullptr, C, 3, 3, 1, 1, 1, 1, out);
        return;
    }
    for (size_t a = 0; a < std::min(d, H_); ++a) {
        for (size_t c = 0; c < std::min(d, W_); ++c) {
            const size_t Hs = (H_ - a + d - 1) / d, Ws = (W_ - c + d - 1) / d;
            for (size_t i = 0; i < Hs; ++i)
                for (size_t j = 0; j < Ws; ++j)
                    std::memcpy(&sub_in_[(i * Ws + j) * C], in + ((a + d * i) * W_ + c + d * j) * C,
                                C * sizeof(float));
            ops::conv2d(sub_in_.data(), Hs, Ws, C, b.conv_weight, bias, nullptr, C, 3, 3, 1, 1, 1, 1,
                        sub_out_.data());
            for (size_t i = 0; i < Hs; ++i)
                for (size_t j = 0; j < Ws; ++j)
                    std::memcpy(out + ((a + d * i) * W_ + c + d * j) * C, &sub_out_[(i * Ws + j) * C],
                                C * sizeof(float));
        }
    }
}

// The op sequence of model.py's docstring.
void PixNATState::forward(const uint8_t* tokens) {
    const auto& w = model_.weights();
    const size_t P = P_, C = C_;
    const float eps = model_.config().layernorm_eps;
    for (size_t p = 0; p < P; ++p) ids_[p] = std::min<int32_t>(tokens[p], int32_t(L_));
    ops::embedding(w.tok_emb, L_ + 1, C, ids_.data(), P, h_.data());  // h = tok_emb[tokens]
    ops::add(h_.data(), w.pos_emb, h_.data(), P * C);                 // h += pos_emb
    for (size_t i = 0; i < w.blocks.size(); ++i) {
        const auto& b = w.blocks[i];
        for (size_t p = 0; p < P; ++p)  // z = norm(h)
            ops::layernorm(&h_[p * C], b.norm_weight, b.norm_bias, &z_[p * C], C, eps);
        dilated_conv(b, &conv_bias_[i * C], z_.data(), t_.data());  // z = conv(z) + class_emb[c]
        ops::gelu(t_.data(), P * C);                                // gelu(z)
        ops::conv1x1(t_.data(), P, C, b.proj_weight, b.proj_bias, C, z_.data());  // z = proj(z)
        ops::add(h_.data(), z_.data(), h_.data(), P * C);                         // h = h + z
    }
    for (size_t p = 0; p < P; ++p)  // z = norm_out(h)
        ops::layernorm(&h_[p * C], w.norm_out_weight, w.norm_out_bias, &z_[p * C], C, eps);
    ops::conv1x1(z_.data(), P, C, w.head_weight, w.head_bias, L_, logits_.data());  // logits = head(z)
}

}  // namespace atnat::models

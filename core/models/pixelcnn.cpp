#include "core/models/pixelcnn.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "core/ops/ops.hpp"

namespace atnat::models {

namespace {

// ops::tanh_sigmoid_gate per pixel: pre is [P, 2C] (tanh half first), out is [P, C].
void gate(const float* pre, float* out, size_t P, size_t C) {
    for (size_t p = 0; p < P; ++p)
        ops::tanh_sigmoid_gate(pre + p * 2 * C, pre + p * 2 * C + C, out + p * C, C);
}

Status check_mask(const io::Tensor& t, size_t rows, size_t cols) {
    // mask A: every tap 1 except the last row (vertical) or the last tap (horizontal), which is 0
    const uint8_t* m = t.u8();
    for (size_t i = 0; i < rows * cols; ++i) {
        const bool last = rows > 1 ? i / cols == rows - 1 : i == cols - 1;
        const uint8_t want = last ? 0 : 1;
        if (m[i] != want) {
            return Status::failure("tensor '" + t.name + "': tap " + std::to_string(i / cols) + "," +
                                   std::to_string(i % cols) + " is " + std::to_string(m[i]) +
                                   ", the mask-A pattern needs " + std::to_string(want));
        }
    }
    return Status::ok_status();
}

}  // namespace

Result<PixelCNN> PixelCNN::load(io::WeightFile file) {
    if (file.arch() != "pixelcnn") {
        return make_error("weight file: arch is '" + file.arch() + "', this loader reads 'pixelcnn'");
    }
    if (Status s = file.check_weight_values(io::kMaxWeightMagnitude); !s) return make_error(s.error());
    const auto& j = file.config();
    PixelCNNConfig cfg;
    struct Field {
        const char* key;
        int* dst;
        int64_t lo, hi;
    };
    const Field fields[] = {
        {"levels", &cfg.levels, 2, 256},
        {"channels", &cfg.channels, 1, 1024},
        {"layers", &cfg.layers, 1, 64},
        {"first_kernel", &cfg.first_kernel, 3, 15},
        {"head_channels", &cfg.head_channels, 1, 4096},
        {"n_classes", &cfg.n_classes, 1, 1000},
        {"height", &cfg.height, 1, 256},
        {"width", &cfg.width, 1, 256},
    };
    for (const auto& f : fields) {
        auto v = io::config_int(j, f.key, f.lo, f.hi);
        if (!v) return make_error(v.error());
        *f.dst = static_cast<int>(*v);
    }
    if (j.contains("input_channels")) {  // absent in files written before the coordinate channels: 1
        auto v = io::config_int(j, "input_channels", 1, 3);
        if (!v) return make_error(v.error());
        if (*v == 2)
            return make_error("config 'input_channels' = 2: this loader reads 1 (level) or 3 (level, y, x)");
        cfg.input_channels = static_cast<int>(*v);
    }
    if (cfg.first_kernel % 2 == 0) {
        return make_error("config 'first_kernel' = " + std::to_string(cfg.first_kernel) + " must be odd");
    }

    const int64_t pr = cfg.first_kernel / 2;
    // Optional descriptive keys written by export.py: if present they must be what forward() computes.
    if (j.contains("kernel") && j["kernel"] != 3) {
        return make_error("config 'kernel' = " + j["kernel"].dump() +
                          ": this loader implements 3 (2x3 / 1x2 kernels)");
    }
    for (const char* key : {"v_pad", "h_pad"}) {
        if (!j.contains(key)) continue;
        const bool v = key[0] == 'v';
        nlohmann::json want = nlohmann::json::array();
        for (int i = 0; i < cfg.layers; ++i) {
            if (i == 0)
                want.push_back(v ? std::vector<int64_t>{pr, 0, pr, pr} : std::vector<int64_t>{0, 0, pr, 0});
            else
                want.push_back(v ? std::vector<int64_t>{1, 0, 1, 1} : std::vector<int64_t>{0, 0, 1, 0});
        }
        if (j[key] != want) {
            return make_error(std::string("config '") + key + "' = " + j[key].dump() +
                              " differs from the padding this " + "loader implements, " + want.dump());
        }
    }

    PixelCNN m(std::move(file), cfg);
    const size_t L = cfg.levels, C = cfg.channels, Ch = cfg.head_channels, K = cfg.n_classes;
    const size_t k0 = cfg.first_kernel, r = k0 / 2, Cx = cfg.input_channels;
    std::string error;
    // f32(name, shape) / u8(name, shape): the tensor's data, or nullptr with `error` set.
    auto get = [&](const std::string& name, const std::vector<size_t>& shape,
                   io::Dtype dt) -> const io::Tensor* {
        if (!error.empty()) return nullptr;
        auto t = m.file_.require(name, shape, dt);
        if (!t) {
            error = t.error();
            return nullptr;
        }
        return *t;
    };
    auto f32 = [&](const std::string& name, const std::vector<size_t>& shape) -> const float* {
        const io::Tensor* t = get(name, shape, io::Dtype::f32);
        return t ? t->f32() : nullptr;
    };
    m.w_.layers.resize(cfg.layers);
    for (size_t i = 0; i < size_t(cfg.layers); ++i) {
        const std::string p = "layers." + std::to_string(i) + ".";
        auto& lw = m.w_.layers[i];
        lw.v_conv_weight = f32(p + "v_conv.weight", i == 0 ? std::vector<size_t>{r + 1, k0, 2 * C, Cx}
                                                           : std::vector<size_t>{2, 3, 2 * C, C});
        lw.v_conv_bias = f32(p + "v_conv.bias", {2 * C});
        lw.h_conv_weight = f32(p + "h_conv.weight", i == 0 ? std::vector<size_t>{1, r + 1, 2 * C, Cx}
                                                           : std::vector<size_t>{1, 2, 2 * C, C});
        lw.h_conv_bias = f32(p + "h_conv.bias", {2 * C});
        lw.v_class = f32(p + "v_class", {K, 2 * C});
        lw.h_class = f32(p + "h_class", {K, 2 * C});
        lw.v2h_weight = f32(p + "v2h.weight", {2 * C, 2 * C});
        lw.v2h_bias = f32(p + "v2h.bias", {2 * C});
        lw.h_out_weight = f32(p + "h_out.weight", {C, C});
        lw.h_out_bias = f32(p + "h_out.bias", {C});
        lw.v_conv_mask = lw.h_conv_mask = nullptr;
        if (i == 0) {
            const io::Tensor* vm = get(p + "v_conv.mask", {r + 1, k0}, io::Dtype::u8);
            const io::Tensor* hm = get(p + "h_conv.mask", {1, r + 1}, io::Dtype::u8);
            if (vm && hm) {
                Status s = check_mask(*vm, r + 1, k0);
                if (s) s = check_mask(*hm, 1, r + 1);
                if (!s) error = s.error();
                lw.v_conv_mask = vm->u8();
                lw.h_conv_mask = hm->u8();
            }
        }
    }
    m.w_.head0_weight = f32("head.0.weight", {Ch, C});
    m.w_.head0_bias = f32("head.0.bias", {Ch});
    m.w_.head1_weight = f32("head.1.weight", {L, Ch});
    m.w_.head1_bias = f32("head.1.bias", {L});
    if (!error.empty()) return make_error(error);
    return m;
}

uint64_t PixelCNNState::bytes(const PixelCNNConfig& c) {
    const uint64_t H = uint64_t(c.height), W = uint64_t(c.width), C = uint64_t(c.channels);
    const uint64_t N = uint64_t(c.layers), Ch = uint64_t(c.head_channels), L = uint64_t(c.levels);
    const uint64_t biases = 2 * N * 2 * C;  // v_bias_, h_bias_
    const uint64_t full = H * W * (uint64_t(c.input_channels) + 3 * 2 * C + 3 * C + Ch + L);  // x_ .. logits_
    const uint64_t rows = N * H * W * C + 2 * N * W * 2 * C + N * W * C;  // vs_, vrow_pre_ vrow_h_, hrow_
    const uint64_t pixel = 2 * C + 2 * C + Ch + L;                        // px_pre_ .. px_logits_
    return (biases + full + rows + pixel) * sizeof(float);
}

PixelCNNState::PixelCNNState(const PixelCNN& model)
    : model_(model),
      H_(model.config().height),
      W_(model.config().width),
      C_(model.config().channels),
      L_(model.config().levels),
      Ch_(model.config().head_channels),
      N_(model.config().layers),
      r_(model.config().first_kernel / 2),
      Cx_(model.config().input_channels),
      v_bias_(N_ * 2 * C_),
      h_bias_(N_ * 2 * C_),
      x_(H_ * W_ * Cx_),
      vpre_(H_ * W_ * 2 * C_),
      hpre_(H_ * W_ * 2 * C_),
      tmp_(H_ * W_ * 2 * C_),
      v_(H_ * W_ * C_),
      h_(H_ * W_ * C_),
      g_(H_ * W_ * C_),
      a_(H_ * W_ * Ch_),
      logits_(H_ * W_ * L_),
      vs_(N_ * H_ * W_ * C_),
      vrow_pre_(N_ * W_ * 2 * C_),
      vrow_h_(N_ * W_ * 2 * C_),
      hrow_(N_ * W_ * C_),
      px_pre_(2 * C_),
      px_g_(C_),
      px_t_(C_),
      px_a_(Ch_),
      px_logits_(L_) {
    if (Cx_ == 3) {  // where each pixel is: fixed, never depends on pixel values
        for (size_t y = 0; y < H_; ++y) {
            for (size_t x = 0; x < W_; ++x) {
                x_[(y * W_ + x) * 3 + 1] = float(y + 1) / float(H_);
                x_[(y * W_ + x) * 3 + 2] = float(x + 1) / float(W_);
            }
        }
    }
    set_class(0);
}

Status PixelCNNState::set_class(int c) {
    const auto& cfg = model_.config();
    if (c < 0 || c >= cfg.n_classes) {
        return Status::failure("class " + std::to_string(c) + " is outside [0, " +
                               std::to_string(cfg.n_classes - 1) + "]");
    }
    cls_ = c;
    const size_t C2 = 2 * C_;
    for (size_t i = 0; i < N_; ++i) {
        const auto& lw = model_.weights().layers[i];
        ops::add(lw.v_conv_bias, lw.v_class + size_t(c) * C2, &v_bias_[i * C2], C2);
        ops::add(lw.h_conv_bias, lw.h_class + size_t(c) * C2, &h_bias_[i * C2], C2);
    }
    return Status::ok_status();
}

// The op sequence of model.py's docstring, one line per line.
void PixelCNNState::forward(const uint8_t* img) {
    const auto& w = model_.weights();
    const size_t P = H_ * W_, C = C_, C2 = 2 * C_, r = r_, k0 = 2 * r_ + 1, Cx = Cx_;
    for (size_t p = 0; p < P; ++p) set_level(p, img[p]);  // x = [img / (L - 1), (y + 1) / H, (x + 1) / W]
    for (size_t i = 0; i < N_; ++i) {
        const auto& lw = w.layers[i];
        const float* vb = &v_bias_[i * C2];
        const float* hb = &h_bias_[i * C2];
        if (i == 0) {
            ops::conv2d(x_.data(), H_, W_, Cx, lw.v_conv_weight, vb, lw.v_conv_mask, C2, r + 1, k0, r, 0, r,
                        r, vpre_.data());
            ops::conv2d(x_.data(), H_, W_, Cx, lw.h_conv_weight, hb, lw.h_conv_mask, C2, 1, r + 1, 0, 0, r, 0,
                        hpre_.data());
        } else {
            ops::conv2d(v_.data(), H_, W_, C, lw.v_conv_weight, vb, nullptr, C2, 2, 3, 1, 0, 1, 1,
                        vpre_.data());
            ops::conv2d(h_.data(), H_, W_, C, lw.h_conv_weight, hb, nullptr, C2, 1, 2, 0, 0, 1, 0,
                        hpre_.data());
        }
        ops::conv1x1(vpre_.data(), P, C2, lw.v2h_weight, lw.v2h_bias, C2, tmp_.data());  // hpre += v2h(vpre)
        ops::add(hpre_.data(), tmp_.data(), hpre_.data(), P * C2);
        gate(vpre_.data(), v_.data(), P, C);  // v = gate(vpre)
        gate(hpre_.data(), g_.data(), P, C);  // g = gate(hpre)
        if (i == 0) {
            ops::conv1x1(g_.data(), P, C, lw.h_out_weight, lw.h_out_bias, C, h_.data());  // h = h_out(g)
        } else {
            ops::conv1x1(g_.data(), P, C, lw.h_out_weight, lw.h_out_bias, C,
                         tmp_.data());  // h = h + h_out(g)
            ops::add(h_.data(), tmp_.data(), h_.data(), P * C);
        }
    }
    std::copy(h_.begin(), h_.end(), g_.begin());  // a = gelu(copy of h)
    ops::gelu(g_.data(), P * C);
    ops::conv1x1(g_.data(), P, C, w.head0_weight, w.head0_bias, Ch_, a_.data());  // a = gelu(head.0(a))
    ops::gelu(a_.data(), P * Ch_);
    ops::conv1x1(a_.data(), P, Ch_, w.head1_weight, w.head1_bias, L_, logits_.data());  // logits = head.1(a)
}

// Layer i's vertical stack at row y: the full forward's conv2d restricted to output row y by handing it
// only the input rows it reads (a window ending at row y, its top padding shrunk by the rows present),
// so each output sums the same taps in the same order.
void PixelCNNState::vertical_row(size_t i, size_t y) {
    const auto& lw = model_.weights().layers[i];
    const size_t C = C_, C2 = 2 * C_, r = r_, k0 = 2 * r_ + 1;
    float* pre = &vrow_pre_[i * W_ * C2];
    const float* vb = &v_bias_[i * C2];
    if (i == 0) {  // rows y-r..y of the image (row y masked out)
        const size_t y0 = y >= r ? y - r : 0;
        ops::conv2d(&x_[y0 * W_ * Cx_], y - y0 + 1, W_, Cx_, lw.v_conv_weight, vb, lw.v_conv_mask, C2, r + 1,
                    k0, r - (y - y0), 0, r, r, pre);
    } else {  // rows y-1..y of the previous layer's v
        const size_t y0 = y >= 1 ? y - 1 : 0;
        const float* vin = &vs_[(i - 1) * H_ * W_ * C];
        ops::conv2d(vin + y0 * W_ * C, y - y0 + 1, W_, C, lw.v_conv_weight, vb, nullptr, C2, 2, 3,
                    1 - (y - y0), 0, 1, 1, pre);
    }
    gate(pre, &vs_[(i * H_ + y) * W_ * C], W_, C);
    ops::conv1x1(pre, W_, C2, lw.v2h_weight, lw.v2h_bias, C2, &vrow_h_[i * W_ * C2]);
}

void PixelCNNState::begin_row(const uint8_t* img, size_t y) {
    for (size_t p = 0; p < y * W_; ++p) set_level(p, img[p]);
    for (size_t p = y * W_; p < (y + 1) * W_; ++p) set_level(p, 0);  // row y: not read (masked), kept defined
    for (size_t i = 0; i < N_; ++i) vertical_row(i, y);
}

// Layer i's horizontal stack at (y, x): layer 0 reads image row y columns x-r..x-1, layer i reads the
// previous layer's h at (y, x-1) and (y, x), both kept in hrow_.
void PixelCNNState::pixel(size_t i, size_t y, size_t x) {
    const auto& lw = model_.weights().layers[i];
    const size_t C = C_, C2 = 2 * C_, r = r_;
    const float* hb = &h_bias_[i * C2];
    float* pre = px_pre_.data();
    if (i == 0) {
        ops::conv2d_at(x_.data(), H_, W_, Cx_, lw.h_conv_weight, hb, lw.h_conv_mask, C2, 1, r + 1, 0, r, y, x,
                       pre);
    } else {
        ops::conv2d_at(&hrow_[(i - 1) * W_ * C], 1, W_, C, lw.h_conv_weight, hb, nullptr, C2, 1, 2, 0, 1, 0,
                       x, pre);
    }
    ops::add(pre, &vrow_h_[(i * W_ + x) * C2], pre, C2);
    gate(pre, px_g_.data(), 1, C);
    float* h = &hrow_[(i * W_ + x) * C];
    if (i == 0) {
        ops::conv1x1(px_g_.data(), 1, C, lw.h_out_weight, lw.h_out_bias, C, h);
    } else {
        ops::conv1x1(px_g_.data(), 1, C, lw.h_out_weight, lw.h_out_bias, C, px_t_.data());
        ops::add(&hrow_[((i - 1) * W_ + x) * C], px_t_.data(), h, C);
    }
}

const float* PixelCNNState::pixel_logits(const uint8_t* img, size_t y, size_t x) {
    const auto& w = model_.weights();
    for (size_t p = y * W_; p < y * W_ + x; ++p) set_level(p, img[p]);
    for (size_t i = 0; i < N_; ++i) pixel(i, y, x);
    const float* h = &hrow_[((N_ - 1) * W_ + x) * C_];
    std::copy(h, h + C_, px_g_.begin());
    ops::gelu(px_g_.data(), C_);
    ops::conv1x1(px_g_.data(), 1, C_, w.head0_weight, w.head0_bias, Ch_, px_a_.data());
    ops::gelu(px_a_.data(), Ch_);
    ops::conv1x1(px_a_.data(), 1, Ch_, w.head1_weight, w.head1_bias, L_, px_logits_.data());
    return px_logits_.data();
}

}  // namespace atnat::models

#include "core/models/cmlm.hpp"

#include <algorithm>

#include "core/ops/ops.hpp"

namespace atnat::models {

Result<Cmlm> load_cmlm(const io::WeightFile& file) {
    if (file.arch() != "cmlm") {
        return make_error(
            "arch '" + file.arch() +
            "' is not a conditional masked LM: non-autoregressive decoding needs a 'cmlm' model");
    }
    auto tf = load_transformer(file);
    if (!tf) return make_error(tf.error());
    const TransformerConfig& c = tf->config;
    const int64_t most = int64_t(c.context) - 2;  // <len>/<fixed> and the form come first
    if (most < 1) return make_error("cmlm config: context " + std::to_string(c.context) + " leaves no room");
    auto max_len = io::config_int(file.config(), "max_len", 1, most);
    if (!max_len) return make_error("cmlm " + max_len.error());
    auto max_len_fixed = io::config_int(file.config(), "max_len_fixed", 1, most);
    if (!max_len_fixed) return make_error("cmlm " + max_len_fixed.error());
    const auto length_prompt = file.config().find("length_prompt");
    if (length_prompt != file.config().end() && !length_prompt->is_boolean())
        return make_error(std::string("cmlm config 'length_prompt' must be true or false, found a ") +
                          length_prompt->type_name());
    const size_t classes = size_t(*max_len) + 1;
    auto head = detail::load_weight<2>(file, "length_head", {classes, c.d_model});
    if (!head) return make_error(head.error());
    return Cmlm{std::move(*tf), std::move(*head), size_t(*max_len), size_t(*max_len_fixed),
                length_prompt != file.config().end() && length_prompt->get<bool>()};
}

void length_logits(const Cmlm& model, const TransformerState& state, std::span<float> out) {
    const size_t d = model.transformer.config.d_model;
    ops::gemv(model.length_head.data(), state.xb.data(), out.data(), std::min(out.size(), model.max_len + 1),
              d);
}

}  // namespace atnat::models

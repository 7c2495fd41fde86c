// The atnat weight file (format "atnat-1"): safetensors with atnat metadata. Layout:
//   [u64 little-endian N][N bytes of UTF-8 JSON header][data section]
// header = {"__metadata__": {"format": "atnat-1", "arch": ..., "config": "<JSON>", "tokenizer": "<JSON>"?},
//           NAME: {"dtype": "F32"|"I32"|"U8"|"I8", "shape": [d0, d1, ...], "data_offsets": [begin, end]},
//           ...}
// Offsets are relative to the start of the data section. The writer is models/common/safetensors_io.py;
// docs/weight-format.md lists every rule WeightFile::parse checks.
//
// A WeightFile owns the bytes; every Tensor is a read-only view into them. The storage is shared and
// immutable: copying a WeightFile is cheap, and copying or moving one keeps every Tensor pointer valid for
// as long as any copy lives (a "moved-from" WeightFile stays valid too: moving is copying a shared_ptr).
// f32/i32 data is always at least 4-byte aligned: a foreign file whose 4-byte tensors are misaligned in
// memory is re-laid out into an aligned buffer on load, never read misaligned.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace atnat::io {

enum class Dtype { f32, i32, u8, i8 };

// The largest |weight| the model loaders accept. Trained atnat models stay below 4; NaN, Inf or values like
// 3e38 parse as floats but overflow every forward pass to NaN, which then decodes as nonsense with exit 0.
constexpr float kMaxWeightMagnitude = 1e4f;

const char* dtype_name(Dtype dtype);  // "F32", "I32", "U8", "I8" (safetensors' spelling)
size_t dtype_size(Dtype dtype);       // bytes per element
std::string shape_string(const std::vector<size_t>& shape);  // "[3, 4]"

struct Tensor {
    std::string name;
    Dtype dtype = Dtype::f32;
    std::vector<size_t> shape;  // row-major; [] is a scalar (one element)
    const uint8_t* data = nullptr;
    size_t nbytes = 0;  // == numel() * dtype_size(dtype)

    size_t numel() const;
    // Typed views; nullptr if the tensor has another dtype (require() checks dtypes up front).
    const float* f32() const;
    const int32_t* i32() const;
    const uint8_t* u8() const;
    const int8_t* i8() const;  // quantised weights (their scales are a separate F32 tensor)
};

class WeightFile {
public:
    // Validates everything (see docs/weight-format.md); never reads out of bounds, never throws.
    static Result<WeightFile> parse(std::vector<uint8_t> bytes);

    const std::string& arch() const;
    const nlohmann::json& config() const;  // an object
    bool has_tokenizer() const;
    const nlohmann::json& tokenizer() const;  // an object (null if !has_tokenizer()); see io/tokenizer.hpp
    // Every __metadata__ entry as stored (format, arch, config, tokenizer and any extra keys).
    const std::map<std::string, std::string>& metadata() const;

    const Tensor* find(std::string_view name) const;  // nullptr if absent
    // The checked accessor model loaders use: an absent name, another dtype or another shape is an Error
    // naming the tensor, the expected and the actual dtype/shape.
    Result<const Tensor*> require(std::string_view name, const std::vector<size_t>& shape,
                                  Dtype dtype = Dtype::f32) const;

    // What a model loader asks before it trusts the numbers: every F32 value finite and |value| <= max_abs,
    // else an Error naming the tensor and the element. (The reader itself keeps any bit pattern: its tests
    // read Inf and NaN payloads back exactly.)
    Status check_weight_values(float max_abs) const;

    size_t tensor_count() const;
    size_t parameter_count() const;              // sum of numel() over all tensors
    size_t byte_size() const;                    // size of the file as parsed
    std::vector<std::string> names() const;      // in data-offset order
    const std::vector<Tensor>& tensors() const;  // in data-offset order

    WeightFile(const WeightFile&) = default;
    WeightFile& operator=(const WeightFile&) = default;

private:
    struct State;
    explicit WeightFile(std::shared_ptr<const State> state) : state_(std::move(state)) {}
    std::shared_ptr<const State> state_;
};

// Config helpers for model loaders. Each returns an Error naming the key if it is missing, has the wrong
// JSON type or lies outside [lo, hi], e.g. "config: 'n_layer' = 100 is outside [1, 64]".
Result<int64_t> config_int(const nlohmann::json& config, std::string_view key, int64_t lo, int64_t hi);
Result<double> config_float(const nlohmann::json& config, std::string_view key, double lo, double hi);
Result<std::string> config_string(const nlohmann::json& config, std::string_view key);

}  // namespace atnat::io

#include "core/io/safetensors.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "core/io/json.hpp"

namespace atnat::io {

static_assert(std::endian::native == std::endian::little, "atnat weight files are little-endian");

namespace {

using nlohmann::json;

constexpr const char* kFormat = "atnat-1";
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // 100 MB: real headers are a few KB
constexpr size_t kRelayoutAlign = 16;
// Largest dimension accepted, on every platform alike: a dimension must fit wasm's 32-bit size_t even when
// another dimension is 0 (and then the byte-size check below cannot catch it).
constexpr uint64_t kMaxDim = (uint64_t{1} << 31) - 1;

// A compact, never-throwing rendering of a JSON value for error messages.
std::string brief(const json& value) {
    return printable(value.dump(-1, ' ', false, json::error_handler_t::replace), 60);
}

const char* type_name(const json& value) {
    if (value.is_number_integer()) return "an integer";
    if (value.is_number_float()) return "a float";
    if (value.is_string()) return "a string";
    if (value.is_object()) return "an object";
    if (value.is_array()) return "an array";
    if (value.is_boolean()) return "a boolean";
    return "null";
}

bool parse_dtype(std::string_view s, Dtype& out) {
    if (s == "F32")
        out = Dtype::f32;
    else if (s == "I32")
        out = Dtype::i32;
    else if (s == "U8")
        out = Dtype::u8;
    else if (s == "I8")
        out = Dtype::i8;
    else
        return false;
    return true;
}

std::string shape_string_u64(const std::vector<uint64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

struct Entry {
    std::string name;
    Dtype dtype;
    std::vector<size_t> shape;
    size_t begin, end;  // within the data section
};

// Validates one tensor entry of the header against a data section of `data_size` bytes.
Result<Entry> parse_entry(const std::string& name, const json& info, size_t data_size) {
    const std::string where = "tensor '" + printable(name) + "'";
    if (name.empty()) return make_error("a tensor has an empty name");
    if (!info.is_object()) {
        return make_error(where + ": entry must be an object with dtype, shape and data_offsets, found " +
                          type_name(info));
    }
    for (const auto& [k, v] : info.items()) {
        if (k != "dtype" && k != "shape" && k != "data_offsets") {
            return make_error(where + ": unknown key '" + printable(k) +
                              "' (an entry has only dtype, shape and data_offsets)");
        }
    }
    Entry e;
    e.name = name;

    const auto dt = info.find("dtype");
    if (dt == info.end() || !dt->is_string()) return make_error(where + ": dtype missing or not a string");
    if (!parse_dtype(dt->get_ref<const std::string&>(), e.dtype)) {
        return make_error(where + ": dtype '" + printable(dt->get_ref<const std::string&>()) +
                          "' is not supported (atnat-1 has F32, I32, U8 and I8)");
    }

    const auto sh = info.find("shape");
    if (sh == info.end() || !sh->is_array()) return make_error(where + ": shape missing or not an array");
    std::vector<uint64_t> dims;
    for (const json& d : *sh) {
        if (!d.is_number_unsigned()) {
            return make_error(where + ": shape " + brief(*sh) + " must hold non-negative integers");
        }
        dims.push_back(d.get<uint64_t>());
    }
    for (uint64_t d : dims) {
        if (d > kMaxDim) {
            return make_error(where + ": shape " + shape_string_u64(dims) + " is too large (dimension " +
                              std::to_string(d) + " exceeds 2^31 - 1)");
        }
    }
    // Element count and byte size with overflow checks (size_t is 32 bits in wasm, so check in u64 first
    // and then against the data section, whose size fits in size_t).
    uint64_t numel = 1;
    for (uint64_t d : dims) {
        if (__builtin_mul_overflow(numel, d, &numel)) {
            return make_error(where + ": shape " + shape_string_u64(dims) +
                              " is too large (its element count overflows 64 bits)");
        }
    }
    uint64_t nbytes = 0;
    if (__builtin_mul_overflow(numel, static_cast<uint64_t>(dtype_size(e.dtype)), &nbytes)) {
        return make_error(where + ": shape " + shape_string_u64(dims) +
                          " is too large (its byte size overflows 64 bits)");
    }
    if (nbytes > data_size) {
        return make_error(where + ": shape " + shape_string_u64(dims) + " is too large: it needs " +
                          std::to_string(nbytes) + " bytes but the whole data section has " +
                          std::to_string(data_size));
    }
    for (uint64_t d : dims) e.shape.push_back(static_cast<size_t>(d));  // d <= kMaxDim

    const auto off = info.find("data_offsets");
    if (off == info.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
        !(*off)[1].is_number_unsigned()) {
        return make_error(where + ": data_offsets must be [begin, end] with non-negative integers");
    }
    const uint64_t begin = (*off)[0].get<uint64_t>();
    const uint64_t end = (*off)[1].get<uint64_t>();
    if (begin > end) {
        return make_error(where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                          "] has begin > end");
    }
    if (end > data_size) {
        return make_error(where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                          "] run past the end of the data section (" + std::to_string(data_size) +
                          " bytes): file truncated?");
    }
    if (end - begin != nbytes) {
        return make_error(where + ": " + dtype_name(e.dtype) + " shape " + shape_string_u64(dims) +
                          " needs " + std::to_string(nbytes) + " bytes, data_offsets [" +
                          std::to_string(begin) + ", " + std::to_string(end) + "] hold " +
                          std::to_string(end - begin));
    }
    e.begin = static_cast<size_t>(begin);
    e.end = static_cast<size_t>(end);
    return e;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------

const char* dtype_name(Dtype dtype) {
    switch (dtype) {
        case Dtype::f32:
            return "F32";
        case Dtype::i32:
            return "I32";
        case Dtype::u8:
            return "U8";
        case Dtype::i8:
            return "I8";
    }
    return "?";
}

size_t dtype_size(Dtype dtype) {
    switch (dtype) {
        case Dtype::f32:
            return 4;
        case Dtype::i32:
            return 4;
        case Dtype::u8:
        case Dtype::i8:
            return 1;
    }
    return 1;
}

std::string shape_string(const std::vector<size_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

size_t Tensor::numel() const {
    size_t n = 1;
    for (size_t d : shape) n *= d;  // checked against the file size when parsed
    return n;
}

const float* Tensor::f32() const {
    return dtype == Dtype::f32 ? reinterpret_cast<const float*>(data) : nullptr;
}
const int32_t* Tensor::i32() const {
    return dtype == Dtype::i32 ? reinterpret_cast<const int32_t*>(data) : nullptr;
}
const uint8_t* Tensor::u8() const {
    return dtype == Dtype::u8 ? data : nullptr;
}
const int8_t* Tensor::i8() const {
    return dtype == Dtype::i8 ? reinterpret_cast<const int8_t*>(data) : nullptr;
}

// ---------------------------------------------------------------------------------------------------------

struct WeightFile::State {
    struct alignas(kRelayoutAlign) Block {
        uint8_t bytes[kRelayoutAlign];
    };
    std::vector<uint8_t> bytes;   // the file, viewed in place (emptied if the data was re-laid out)
    std::vector<Block> relayout;  // an aligned copy of the tensors, used only for misaligned files
    size_t file_size = 0;
    std::map<std::string, std::string> metadata;
    std::string arch;
    json config;
    json tokenizer;               // null if absent
    std::vector<Tensor> tensors;  // sorted by data offset
    std::map<std::string, size_t, std::less<>> index;
};

Result<WeightFile> WeightFile::parse(std::vector<uint8_t> bytes) {
    const size_t size = bytes.size();
    if (size == 0) return make_error("file is empty (0 bytes): not an atnat weight file");
    if (size < 8) {
        return make_error("file is " + std::to_string(size) +
                          " bytes, too short for the 8-byte header length: not an atnat weight file");
    }
    uint64_t header_len = 0;
    for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | bytes[static_cast<size_t>(i)];
    if (header_len > kMaxHeaderBytes) {
        return make_error("header length " + std::to_string(header_len) +
                          " is absurd (more than 100 MB): not an atnat weight file, or a corrupted one");
    }
    if (header_len > size - 8) {
        return make_error("header length " + std::to_string(header_len) + " runs past the end of the file (" +
                          std::to_string(size) + " bytes): file truncated or not an atnat weight file");
    }
    const size_t data_start = 8 + static_cast<size_t>(header_len);
    const size_t data_size = size - data_start;

    const std::string_view header_text(reinterpret_cast<const char*>(bytes.data()) + 8,
                                       static_cast<size_t>(header_len));
    auto header = parse_json(header_text, "header");
    if (!header) return make_error(header.error());
    if (!header->is_object())
        return make_error(std::string("header must be a JSON object, found ") + type_name(*header));

    auto state = std::make_shared<State>();
    state->file_size = size;

    // --- __metadata__ ---
    const auto meta = header->find("__metadata__");
    if (meta == header->end()) {
        return make_error(std::string("header has no __metadata__: a plain safetensors file, not atnat "
                                      "format '") +
                          kFormat + "' (write it with models/common/safetensors_io.py)");
    }
    if (!meta->is_object()) {
        return make_error(std::string("__metadata__ must be an object of strings, found ") +
                          type_name(*meta));
    }
    for (const auto& [k, v] : meta->items()) {
        if (!v.is_string()) {
            return make_error("__metadata__ '" + printable(k) + "' must be a string, found " + type_name(v));
        }
        state->metadata.emplace(k, v.get_ref<const std::string&>());
    }
    const auto& md = state->metadata;
    auto format = md.find("format");
    if (format == md.end()) {
        return make_error(std::string("__metadata__ has no 'format': expected format '") + kFormat + "'");
    }
    if (format->second != kFormat) {
        return make_error("unsupported format '" + printable(format->second) + "': expected format '" +
                          kFormat + "' (re-export the model with models/common/safetensors_io.py)");
    }
    auto arch = md.find("arch");
    if (arch == md.end() || arch->second.empty()) {
        return make_error("__metadata__ has no 'arch': the file does not say which model it holds");
    }
    state->arch = arch->second;
    auto config = md.find("config");
    if (config == md.end()) return make_error("__metadata__ has no 'config'");
    auto config_json = parse_json(config->second, "__metadata__ 'config'");
    if (!config_json) return make_error(config_json.error());
    if (!config_json->is_object()) {
        return make_error(std::string("__metadata__ 'config' must hold a JSON object, found ") +
                          type_name(*config_json));
    }
    state->config = std::move(*config_json);
    if (auto tok = md.find("tokenizer"); tok != md.end()) {
        auto tok_json = parse_json(tok->second, "__metadata__ 'tokenizer'");
        if (!tok_json) return make_error(tok_json.error());
        if (!tok_json->is_object()) {
            return make_error(std::string("__metadata__ 'tokenizer' must hold a JSON object, found ") +
                              type_name(*tok_json));
        }
        state->tokenizer = std::move(*tok_json);
    }

    // --- tensor entries ---
    std::vector<Entry> entries;
    for (const auto& [name, info] : header->items()) {
        if (name == "__metadata__") continue;
        auto entry = parse_entry(name, info, data_size);
        if (!entry) return make_error(entry.error());
        entries.push_back(std::move(*entry));
    }
    if (entries.empty()) return make_error("no tensors: the header lists only __metadata__");
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    const Entry* prev = nullptr;
    for (const Entry& e : entries) {
        if (e.begin == e.end) continue;  // an empty range overlaps nothing
        if (prev && e.begin < prev->end) {
            return make_error("tensors '" + printable(prev->name) + "' [" + std::to_string(prev->begin) +
                              ", " + std::to_string(prev->end) + ") and '" + printable(e.name) + "' [" +
                              std::to_string(e.begin) + ", " + std::to_string(e.end) + ") overlap");
        }
        prev = &e;
    }

    // --- views: in place if every 4-byte tensor is 4-byte aligned in memory, else an aligned copy ---
    const uint8_t* data = bytes.data() + data_start;
    bool misaligned = false;
    for (const Entry& e : entries) {
        if (dtype_size(e.dtype) > 1 &&
            reinterpret_cast<uintptr_t>(data + e.begin) % dtype_size(e.dtype) != 0) {
            misaligned = true;
        }
    }
    std::vector<size_t> offsets(entries.size());
    if (misaligned) {
        size_t total = 0;
        for (size_t i = 0; i < entries.size(); ++i) {
            total = (total + kRelayoutAlign - 1) / kRelayoutAlign * kRelayoutAlign;
            offsets[i] = total;
            total += entries[i].end - entries[i].begin;  // sum <= data_size: ranges do not overlap
        }
        state->relayout.resize((total + kRelayoutAlign - 1) / kRelayoutAlign);
        auto* dst = reinterpret_cast<uint8_t*>(state->relayout.data());
        for (size_t i = 0; i < entries.size(); ++i) {
            if (entries[i].end > entries[i].begin) {
                std::memcpy(dst + offsets[i], data + entries[i].begin, entries[i].end - entries[i].begin);
            }
        }
        bytes.clear();
        bytes.shrink_to_fit();
    } else {
        state->bytes = std::move(bytes);  // moving a vector keeps its heap buffer: `data` stays valid
    }
    const uint8_t* base = misaligned ? reinterpret_cast<const uint8_t*>(state->relayout.data())
                                     : state->bytes.data() + data_start;
    for (size_t i = 0; i < entries.size(); ++i) {
        Entry& e = entries[i];
        Tensor t;
        t.name = std::move(e.name);
        t.dtype = e.dtype;
        t.shape = std::move(e.shape);
        t.nbytes = e.end - e.begin;
        t.data = base ? base + (misaligned ? offsets[i] : e.begin) : nullptr;
        state->index.emplace(t.name, state->tensors.size());
        state->tensors.push_back(std::move(t));
    }
    return WeightFile(std::move(state));
}

const std::string& WeightFile::arch() const {
    return state_->arch;
}
const nlohmann::json& WeightFile::config() const {
    return state_->config;
}
bool WeightFile::has_tokenizer() const {
    return !state_->tokenizer.is_null();
}
const nlohmann::json& WeightFile::tokenizer() const {
    return state_->tokenizer;
}
const std::map<std::string, std::string>& WeightFile::metadata() const {
    return state_->metadata;
}

const Tensor* WeightFile::find(std::string_view name) const {
    auto it = state_->index.find(name);
    return it == state_->index.end() ? nullptr : &state_->tensors[it->second];
}

Result<const Tensor*> WeightFile::require(std::string_view name, const std::vector<size_t>& shape,
                                          Dtype dtype) const {
    const std::string expected = std::string(dtype_name(dtype)) + " " + shape_string(shape);
    const Tensor* t = find(name);
    if (!t) {
        return make_error("tensor '" + printable(name) + "' (" + expected + ") is missing from the '" +
                          state_->arch + "' weight file (" + std::to_string(tensor_count()) + " tensors)");
    }
    if (t->dtype != dtype || t->shape != shape) {
        return make_error("tensor '" + printable(name) + "' is " + dtype_name(t->dtype) + " " +
                          shape_string(t->shape) + ", expected " + expected +
                          " (does the config match the weights?)");
    }
    return t;
}

Status WeightFile::check_weight_values(float max_abs) const {
    for (const Tensor& t : tensors()) {
        if (t.dtype != Dtype::f32) continue;
        const float* v = t.f32();
        for (size_t i = 0; i < t.numel(); ++i) {
            if (!(std::fabs(v[i]) <= max_abs)) {  // also true for NaN
                char value[32];
                std::snprintf(value, sizeof value, "%g", double(v[i]));
                return Status::failure("tensor '" + printable(t.name) + "' element " + std::to_string(i) +
                                       " is " + value + ": weights must be finite with |value| <= " +
                                       std::to_string(int(max_abs)) + " (a corrupt or hostile file?)");
            }
        }
    }
    return Status::ok_status();
}

size_t WeightFile::tensor_count() const {
    return state_->tensors.size();
}

size_t WeightFile::parameter_count() const {
    size_t n = 0;
    for (const Tensor& t : state_->tensors) n += t.numel();
    return n;
}

size_t WeightFile::byte_size() const {
    return state_->file_size;
}

std::vector<std::string> WeightFile::names() const {
    std::vector<std::string> out;
    out.reserve(state_->tensors.size());
    for (const Tensor& t : state_->tensors) out.push_back(t.name);
    return out;
}

const std::vector<Tensor>& WeightFile::tensors() const {
    return state_->tensors;
}

// ---------------------------------------------------------------------------------------------------------

namespace {

Result<const json*> config_value(const json& config, std::string_view key, const std::string& wanted) {
    if (!config.is_object()) return make_error("config is not a JSON object");
    auto it = config.find(std::string(key));
    if (it == config.end()) {
        return make_error("config has no '" + printable(key) + "' (expected " + wanted + ")");
    }
    return &*it;
}

}  // namespace

Result<int64_t> config_int(const json& config, std::string_view key, int64_t lo, int64_t hi) {
    const std::string range = "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
    auto v = config_value(config, key, "an integer in " + range);
    if (!v) return make_error(v.error());
    const json& value = **v;
    const std::string where = "config '" + printable(key) + "'";
    if (!value.is_number_integer()) {
        return make_error(where + " must be an integer in " + range + ", found " + brief(value));
    }
    if (value.is_number_unsigned() &&
        value.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return make_error(where + " = " + brief(value) + " is outside " + range);
    }
    const int64_t n = value.get<int64_t>();
    if (n < lo || n > hi) return make_error(where + " = " + std::to_string(n) + " is outside " + range);
    return n;
}

Result<double> config_float(const json& config, std::string_view key, double lo, double hi) {
    auto fmt = [](double x) { return brief(json(x)); };
    const std::string range = "[" + fmt(lo) + ", " + fmt(hi) + "]";
    auto v = config_value(config, key, "a number in " + range);
    if (!v) return make_error(v.error());
    const json& value = **v;
    const std::string where = "config '" + printable(key) + "'";
    if (!value.is_number()) {
        return make_error(where + " must be a number in " + range + ", found " + brief(value));
    }
    const double x = value.get<double>();
    if (!std::isfinite(x) || x < lo || x > hi)
        return make_error(where + " = " + brief(value) + " is outside " + range);
    return x;
}

Result<std::string> config_string(const json& config, std::string_view key) {
    auto v = config_value(config, key, "a string");
    if (!v) return make_error(v.error());
    if (!(*v)->is_string()) {
        return make_error("config '" + printable(key) + "' must be a string, found " + brief(**v));
    }
    return (*v)->get<std::string>();
}

}  // namespace atnat::io

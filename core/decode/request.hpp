// Requests from JSON and from text, and back to JSON, for every request with a field table (fields.hpp): the
// generate request (text_model.hpp), the poem and NAT / hybrid requests (poem_plan.hpp) and the image request
// (pixels.hpp). The CLI (--request, and each option's text) and the Embind glue read requests only through
// this file, so they accept and reject exactly the same things.
//
// JSON: an object whose keys name fields (any other key is an error listing the known ones); every key is
// optional. Text fields are strings; numbers finite; integers whole numbers inside the field's range (an
// integral float such as 4.0 from JavaScript counts); flags true or false; enums the value's name; a seed any
// unsigned 64-bit integer (from JavaScript: up to 2^53); constraints [{"position": 6, "text": "花"}]; the
// NAT length "auto", "form" or a number of tokens. Then check(request), the request's own rules across
// fields, runs (declared beside each request).
// Text (the CLI's option values): the same, spelled as on a command line: numbers, names, "" for a flag,
// constraints as "6:花,12:月".
#pragma once

#include <concepts>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/decode/fields.hpp"
#include "core/decode/poem.hpp"
#include "core/decode/poem_plan.hpp"
#include "core/status.hpp"

namespace atnat::decode {

// A request type: a field table and a name for messages ("generate request": "a generate request must be a
// JSON object", "the generate request is not valid UTF-8 JSON").
template <class R>
concept Request = requires(R& r) {
    { R::kName } -> std::convertible_to<const char*>;
    R::fields(r, [](const FieldSpec&, auto&...) {});
};

// ---------------------------------------------------------------------------------------- one field
std::string kind_of(const nlohmann::json& value);  // "null", "a boolean", "a number", "a string", ...
// An error unless x (an integer) lies in the field's range: "beam = 9 is outside [1, 8]", "top_k = -3 must
// be >= 0".
Status check_range(const FieldSpec& f, int64_t x);
// A whole number from JSON (an integral float counts) inside the field's range.
Status read_integer(const nlohmann::json& value, const FieldSpec& f, int64_t& out);
Status read_integer(std::string_view text, const FieldSpec& f, int64_t& out);

template <std::integral T>
T saturate(int64_t x) {
    if (x < int64_t(std::numeric_limits<T>::min())) return std::numeric_limits<T>::min();
    if (std::is_unsigned_v<T> || sizeof(T) < 8) {
        if (uint64_t(x) > uint64_t(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    }
    return T(x);
}

Status read_json(const nlohmann::json& value, const FieldSpec& f, std::string& out);
Status read_json(const nlohmann::json& value, const FieldSpec& f, bool& out);
Status read_json(const nlohmann::json& value, const FieldSpec& f, float& out);
Status read_json(const nlohmann::json& value, const FieldSpec& f, std::vector<Constraint>& out);
Status read_json(const nlohmann::json& value, const FieldSpec& f, LengthSource& source, size_t& tokens);
// Any unsigned 64-bit integer (a seed); natively size_t is uint64_t, so sizes come here too (range checked).
Status read_json(const nlohmann::json& value, const FieldSpec& f, uint64_t& out);

template <std::integral T>
requires(!std::is_same_v<T, bool> && !std::is_same_v<T, uint64_t>) Status
    read_json(const nlohmann::json& value, const FieldSpec& f, T& out) {
    int64_t x = 0;
    if (Status st = read_integer(value, f, x); !st) return st;
    out = saturate<T>(x);
    return {};
}

Status read_choice(const nlohmann::json& value, const FieldSpec& f, std::string& name);
Status unknown_choice(const FieldSpec& f, std::string_view name, const std::string& known);

template <class E>
requires std::is_enum_v<E> Status read_json(const nlohmann::json& value, const FieldSpec& f, E& out) {
    std::string name;
    if (Status st = read_choice(value, f, name); !st) return st;
    auto e = parse_choice<E>(name);
    if (!e) return unknown_choice(f, name, choice_names<E>());
    out = *e;
    return {};
}

template <class T>
Status read_json(const nlohmann::json& value, const FieldSpec& f, std::optional<T>& out) {
    T x{};
    if (Status st = read_json(value, f, x); !st) return st;
    out = x;
    return {};
}

Status read_text(std::string_view text, const FieldSpec& f, std::string& out);
Status read_text(std::string_view text, const FieldSpec& f, bool& out);  // "" (a flag), "true", "false"
Status read_text(std::string_view text, const FieldSpec& f, float& out);
Status read_text(std::string_view text, const FieldSpec& f, std::vector<Constraint>& out);
Status read_text(std::string_view text, const FieldSpec& f, LengthSource& source, size_t& tokens);
Status read_text(std::string_view text, const FieldSpec& f, uint64_t& out);

template <std::integral T>
requires(!std::is_same_v<T, bool> && !std::is_same_v<T, uint64_t>) Status
    read_text(std::string_view text, const FieldSpec& f, T& out) {
    int64_t x = 0;
    if (Status st = read_integer(text, f, x); !st) return st;
    out = saturate<T>(x);
    return {};
}

template <class E>
requires std::is_enum_v<E> Status read_text(std::string_view text, const FieldSpec& f, E& out) {
    auto e = parse_choice<E>(text);
    if (!e) return unknown_choice(f, text, choice_names<E>());
    out = *e;
    return {};
}

template <class T>
Status read_text(std::string_view text, const FieldSpec& f, std::optional<T>& out) {
    T x{};
    if (Status st = read_text(text, f, x); !st) return st;
    out = x;
    return {};
}

// A float as the double with the float's shortest decimal spelling (0.1f -> 0.1, not 0.10000000149011612);
// non-finite -> null.
nlohmann::json json_float(float x);

nlohmann::json json_value(const std::string& x);
nlohmann::json json_value(bool x);
nlohmann::json json_value(float x);
nlohmann::json json_value(const std::vector<Constraint>& x);
nlohmann::json json_value(LengthSource source, size_t tokens);

template <std::integral T>
requires(!std::is_same_v<T, bool>) nlohmann::json json_value(T x) {
    return x;
}

template <class E>
requires std::is_enum_v<E> nlohmann::json json_value(E x) {
    return name_of(x);
}

template <class T>
nlohmann::json json_value(const std::optional<T>& x) {  // absent: null, which to_json leaves out
    return x ? json_value(*x) : nlohmann::json(nullptr);
}

// -------------------------------------------------------------------------------------- whole requests
template <Request R>
std::vector<std::string> field_names() {
    std::vector<std::string> names;
    R r;
    R::fields(r, [&](const FieldSpec& f, auto&...) { names.emplace_back(f.name); });
    return names;
}

// An error unless j is an object whose keys all name fields.
Status check_json_keys(const nlohmann::json& j, std::string_view request_name,
                       const std::vector<std::string>& known);

// The fields of r that j names (j: an object).
template <Request R>
Status read_json_fields(const nlohmann::json& j, R& r) {
    Status st;
    R::fields(r, [&](const FieldSpec& f, auto&... member) {
        const auto it = j.is_object() ? j.find(f.name) : j.end();
        if (st && it != j.end()) st = read_json(*it, f, member...);
    });
    return st;
}

template <Request R>
Result<R> request_from_json(const nlohmann::json& j) {
    R r;
    if (Status st = check_json_keys(j, R::kName, field_names<R>()); !st) return make_error(st.error());
    if (Status st = read_json_fields(j, r); !st) return make_error(st.error());
    if (Status st = check(r); !st) return make_error(st.error());
    return r;
}

// Parses without exceptions (io/json: depth-limited, UTF-8 checked).
nlohmann::json parse_request_text(std::string_view text, std::string_view request_name, Status& status);

template <Request R>
Result<R> request_from_json_text(std::string_view text) {
    Status st;
    const nlohmann::json j = parse_request_text(text, R::kName, st);
    if (!st) return make_error(st.error());
    return request_from_json<R>(j);
}

template <Request R>
nlohmann::json to_json(const R& r) {
    nlohmann::json j = nlohmann::json::object();
    R::fields(r, [&](const FieldSpec& f, const auto&... member) {
        nlohmann::json v = json_value(member...);
        if (!v.is_null()) j[f.name] = std::move(v);
    });
    return j;
}

}  // namespace atnat::decode

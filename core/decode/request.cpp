#include "core/decode/request.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/io/json.hpp"

namespace atnat::decode {

namespace {

using nlohmann::json;

constexpr double kLargestWholeFloat = 9e15;  // integral floats above this are not read as integers

std::string whole(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", x);
    return buf;
}

// "in [1, 8]", ">= 0", "<= 5" or "" (no bound).
std::string range_text(const FieldSpec& f) {
    const bool lo = std::isfinite(f.min), hi = std::isfinite(f.max);
    if (lo && hi) return "in [" + whole(f.min) + ", " + whole(f.max) + "]";
    if (lo) return ">= " + whole(f.min);
    if (hi) return "<= " + whole(f.max);
    return "";
}

Status range_error(const FieldSpec& f, const std::string& value) {
    const bool lo = std::isfinite(f.min), hi = std::isfinite(f.max);
    const std::string head = std::string(f.name) + " = " + value;
    if (lo && hi) return Status::failure(head + " is outside [" + whole(f.min) + ", " + whole(f.max) + "]");
    return Status::failure(head + " must be " + range_text(f));
}

Status not_an_integer(const FieldSpec& f, const std::string& found) {
    const std::string range = range_text(f);
    return Status::failure(std::string(f.name) + " must be an integer" + (range.empty() ? "" : " " + range) +
                           ", found " + found);
}

std::string in_quotes(std::string_view text) {
    return "'" + std::string(text) + "'";
}

// The position and text of one constraint (checked like the request's other integers and strings).
Status read_constraint_position(const json& value, int64_t& out) {
    static const FieldSpec position{"position", "", "", 0, 1 << 20};
    if (Status st = read_integer(value, position, out); !st)
        return Status::failure("constraint " + st.error());
    return {};
}

}  // namespace

std::string kind_of(const json& v) {
    if (v.is_null()) return "null";
    if (v.is_boolean()) return "a boolean";
    if (v.is_number()) return "a number";
    if (v.is_string()) return "a string";
    if (v.is_array()) return "an array";
    return "an object";
}

Status check_range(const FieldSpec& f, int64_t x) {
    if (double(x) < f.min || double(x) > f.max) return range_error(f, std::to_string(x));
    return {};
}

Status read_integer(const json& v, const FieldSpec& f, int64_t& out) {
    double d = 0;
    if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX)) {
        if (std::isfinite(f.max)) return range_error(f, v.dump());
        out = INT64_MAX;
        return {};
    }
    if (v.is_number_integer()) {
        out = v.get<int64_t>();
    } else if (v.is_number_float() && std::isfinite(d = v.get<double>()) && d == std::floor(d) &&
               std::fabs(d) < kLargestWholeFloat) {
        out = int64_t(d);
    } else {
        return not_an_integer(f, v.is_number() ? v.dump() : kind_of(v));
    }
    return check_range(f, out);
}

Status read_integer(std::string_view text, const FieldSpec& f, int64_t& out) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty())
        return not_an_integer(f, in_quotes(text));
    return check_range(f, out);
}

// ---------------------------------------------------------------------------------------------- JSON
Status read_json(const json& v, const FieldSpec& f, std::string& out) {
    if (!v.is_string())
        return Status::failure(std::string(f.name) + " must be a string, found " + kind_of(v));
    out = v.get<std::string>();
    return {};
}

Status read_json(const json& v, const FieldSpec& f, bool& out) {
    if (!v.is_boolean())
        return Status::failure(std::string(f.name) + " must be true or false, found " + kind_of(v));
    out = v.get<bool>();
    return {};
}

Status read_json(const json& v, const FieldSpec& f, float& out) {
    if (!v.is_number() || !std::isfinite(v.get<double>()))
        return Status::failure(std::string(f.name) + " must be a number, found " + kind_of(v));
    if (!std::isfinite(float(v.get<double>())))  // 1e300: a finite double, an infinite float
        return Status::failure(std::string(f.name) + " = " + v.dump() + " is outside the float32 range");
    out = float(v.get<double>());
    return {};
}

Status read_json(const json& v, const FieldSpec& f, uint64_t& out) {
    if (v.is_number_unsigned()) {
        const uint64_t u = v.get<uint64_t>();
        if (double(u) < f.min || double(u) > f.max) return range_error(f, v.dump());
        out = u;
        return {};
    }
    int64_t x = 0;
    if (Status st = read_integer(v, f, x); !st) return st;
    out = saturate<uint64_t>(x);
    return {};
}

Status read_json(const json& v, const FieldSpec& f, std::vector<Constraint>& out) {
    if (!v.is_array())
        return Status::failure(std::string(f.name) + " must be an array of {position, text}, found " +
                               kind_of(v));
    out.clear();
    for (const json& c : v) {
        if (!c.is_object())
            return Status::failure("each constraint must be an object {\"position\": N, \"text\": \"字\"}");
        for (const auto& [k, x] : c.items()) {
            if (k != "position" && k != "text")
                return Status::failure("unknown constraint key '" + k + "' (known: position, text)");
        }
        if (!c.contains("position") || !c.contains("text"))
            return Status::failure("a constraint needs position and text");
        int64_t pos = 0;
        if (Status st = read_constraint_position(c["position"], pos); !st) return st;
        if (!c["text"].is_string())
            return Status::failure("constraint text must be a string, found " + kind_of(c["text"]));
        out.push_back({size_t(pos), c["text"].get<std::string>()});
    }
    return {};
}

Status read_json(const json& v, const FieldSpec& f, LengthSource& source, size_t& tokens) {
    if (v.is_string() && (v == "auto" || v == "form")) {
        source = v == "auto" ? LengthSource::predicted : LengthSource::form;
        return {};
    }
    if (!v.is_number())
        return Status::failure(std::string(f.name) +
                               " must be \"auto\", \"form\" or a number of tokens, found " +
                               (v.is_string() ? in_quotes(v.get<std::string>()) : kind_of(v)));
    int64_t n = 0;
    if (Status st = read_integer(v, f, n); !st) return st;
    source = LengthSource::given;
    tokens = size_t(n);
    return {};
}

Status read_choice(const json& v, const FieldSpec& f, std::string& name) {
    return read_json(v, f, name);
}

Status unknown_choice(const FieldSpec& f, std::string_view name, const std::string& known) {
    return Status::failure("unknown " + std::string(f.name) + " " + in_quotes(name) + " (known: " + known +
                           ")");
}

// ---------------------------------------------------------------------------------------------- text
Status read_text(std::string_view text, const FieldSpec&, std::string& out) {
    out = std::string(text);
    return {};
}

Status read_text(std::string_view text, const FieldSpec& f, bool& out) {
    if (text.empty() || text == "true") {
        out = true;
    } else if (text == "false") {
        out = false;
    } else {
        return Status::failure(std::string(f.name) + " is a flag: it takes no value, found " +
                               in_quotes(text));
    }
    return {};
}

Status read_text(std::string_view text, const FieldSpec& f, float& out) {
    // strtod: libc++ 14 (the wasm build's) has no floating-point std::from_chars
    const std::string s(text);
    char* end = nullptr;
    const double x =
        s.empty() || std::isspace(static_cast<unsigned char>(s[0])) ? NAN : std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size() || !std::isfinite(float(x)))
        return Status::failure(std::string(f.name) + " must be a number, found " + in_quotes(text));
    out = float(x);
    return {};
}

Status read_text(std::string_view text, const FieldSpec& f, uint64_t& out) {
    uint64_t u = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), u);
    if (ec == std::errc() && end == text.data() + text.size() && !text.empty()) {
        if (double(u) < f.min || double(u) > f.max) return range_error(f, std::string(text));
        out = u;
        return {};
    }
    int64_t x = 0;
    if (Status st = read_integer(text, f, x); !st) return st;
    out = saturate<uint64_t>(x);
    return {};
}

Status read_text(std::string_view text, const FieldSpec& f, std::vector<Constraint>& out) {
    out.clear();
    while (!text.empty()) {
        const size_t comma = text.find(',');
        const std::string_view item = text.substr(0, comma);
        const size_t colon = item.find(':');
        if (colon == std::string_view::npos || colon + 1 == item.size())
            return Status::failure(std::string(f.name) + ": " + in_quotes(item) + " is not POSITION:TEXT");
        int64_t pos = 0;
        static const FieldSpec position{"constraint position", "", "", 0, 1 << 20};
        if (Status st = read_integer(item.substr(0, colon), position, pos); !st) return st;
        out.push_back({size_t(pos), std::string(item.substr(colon + 1))});
        text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    }
    return {};
}

Status read_text(std::string_view text, const FieldSpec& f, LengthSource& source, size_t& tokens) {
    if (text == "auto" || text == "form") {
        source = text == "auto" ? LengthSource::predicted : LengthSource::form;
        return {};
    }
    int64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty())
        return Status::failure(std::string(f.name) + " must be auto, form or a number of tokens, found " +
                               in_quotes(text));
    if (Status st = check_range(f, n); !st) return st;
    source = LengthSource::given;
    tokens = size_t(n);
    return {};
}

// ------------------------------------------------------------------------------------------- writing
json json_float(float x) {
    if (!std::isfinite(x)) return nullptr;
    if (x == 0) return double(x);
    // The shortest digits that read back as the same float (Grisu2 for single precision, nlohmann's own
    // float printer; libc++ 14, the wasm build's, has no floating-point std::to_chars), as the double
    // nearest to them, which dump() prints as those digits. digits * 10^exponent with at most 9 digits and
    // |exponent| <= 22 is one correctly rounded operation on exact doubles, as strtod would round it; musl's
    // printf and strtod work in software long double in wasm, ~10 µs a number (a token's event and its result
    // entry print 12: a tenth of the decode time).
    static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                        1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                        1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    char digits[32];
    int length = 0, exponent = 0;
    nlohmann::detail::dtoa_impl::grisu2(digits, length, exponent, std::fabs(x));
    double mantissa = 0;
    for (int i = 0; i < length; ++i) mantissa = mantissa * 10 + (digits[i] - '0');
    double value = 0;
    if (exponent >= -22 && exponent <= 22) {
        value = exponent < 0 ? mantissa / kPow10[-exponent] : mantissa * kPow10[exponent];
    } else {
        value = std::strtod((std::string(digits, size_t(length)) + "e" + std::to_string(exponent)).c_str(),
                            nullptr);
    }
    return std::signbit(x) ? -value : value;
}

json json_value(const std::string& x) {
    return x;
}

json json_value(bool x) {
    return x;
}

json json_value(float x) {
    return json_float(x);
}

json json_value(const std::vector<Constraint>& x) {
    json a = json::array();
    for (const Constraint& c : x) a.push_back({{"position", c.position}, {"text", c.text}});
    return a;
}

json json_value(LengthSource source, size_t tokens) {
    if (source == LengthSource::given) return tokens;
    return source == LengthSource::form ? "form" : "auto";
}

// ---------------------------------------------------------------------------------------- requests
Status check_json_keys(const json& j, std::string_view request_name, const std::vector<std::string>& known) {
    if (!j.is_object()) {
        const char* article =
            std::string_view("aeiou").find(request_name.front()) == std::string_view::npos ? "a " : "an ";
        return Status::failure(article + std::string(request_name) + " must be a JSON object, found " +
                               kind_of(j));
    }
    for (const auto& item : j.items()) {
        if (std::find(known.begin(), known.end(), item.key()) == known.end()) {
            std::string names;
            for (const std::string& k : known) names += (names.empty() ? "" : ", ") + k;
            return Status::failure("unknown request key '" + item.key() + "' (known: " + names + ")");
        }
    }
    return {};
}

json parse_request_text(std::string_view text, std::string_view request_name, Status& status) {
    auto j = io::parse_json(text, "the " + std::string(request_name));
    if (!j) {
        status = Status::failure(j.error());
        return nullptr;
    }
    return std::move(*j);
}

}  // namespace atnat::decode

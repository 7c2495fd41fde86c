#include "core/io/json.hpp"

#include <set>
#include <vector>

namespace atnat::io {

using nlohmann::json;

std::string printable(std::string_view s, size_t max_len) {
    std::string out;
    for (char c : s.substr(0, max_len)) {
        const auto u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u >= 0x7f) ? '?' : c;
    }
    if (s.size() > max_len) out += "...";
    return out;
}

namespace {

// The streaming pass: syntax, duplicate keys, depth.
class StrictChecker : public nlohmann::json_sax<json> {
public:
    std::string error;

    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t&) override { return true; }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override { return open(); }
    bool key(string_t& k) override {
        if (scopes_.size() == 1) top_key_ = k;
        if (!scopes_.back().insert(k).second) {
            error = "key '" + printable(k) + "' appears twice";
            if (scopes_.size() > 1) error += " inside '" + printable(top_key_) + "'";
            return false;
        }
        return true;
    }
    bool end_object() override { return close(); }
    bool start_array(std::size_t) override { return open(); }
    bool end_array() override { return close(); }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) override {
        // ex.what() is "[json.exception.parse_error.101] parse error at line 1, column 5: ..."
        std::string_view what = ex.what();
        if (auto pos = what.find("] "); pos != std::string_view::npos) what.remove_prefix(pos + 2);
        error = printable(what, 240);
        return false;
    }

private:
    bool open() {
        if (scopes_.size() >= kMaxJsonDepth) {
            error = "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
            return false;
        }
        scopes_.emplace_back();  // an array's scope stays empty: it has no keys
        return true;
    }
    bool close() {
        scopes_.pop_back();
        return true;
    }

    std::vector<std::set<std::string>> scopes_;  // the keys seen so far in each open object
    std::string top_key_;
};

}  // namespace

Result<json> parse_json(std::string_view text, const std::string& what) {
    StrictChecker checker;
    const char* begin = text.data();
    const char* end = text.data() + text.size();
    if (!json::sax_parse(begin, end, &checker, json::input_format_t::json, true, false)) {
        if (checker.error.empty()) checker.error = "not valid JSON";
        return make_error(what + " is not valid UTF-8 JSON: " + checker.error);
    }
    json value = json::parse(begin, end, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) return make_error(what + " is not valid UTF-8 JSON");
    return value;
}

}  // namespace atnat::io

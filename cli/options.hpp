// Command-line options made from the core's request tables (core/decode/fields.hpp): one option per field
// (--top-k for the field top_k), its help from the table (the default from the member's initializer), its
// value read by the same readers as JSON (core/decode/request.hpp), so a request field exists on the command
// line, in JSON and in the bindings as soon as its table row does.
#pragma once

#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/cli.hpp"
#include "core/decode/request.hpp"

namespace atnat::cli {

std::string option_name(std::string_view field);  // "top_k" -> "top-k"

// Appends R's fields as options; an option already there (the same field in another request) keeps one
// entry, its help joined with "; " where the two differ.
template <decode::Request R>
void add_options(std::vector<OptionSpec>& out) {
    R defaults;
    R::fields(defaults, [&](const decode::FieldSpec& f, const auto&... member) {
        std::string help = f.help;
        const nlohmann::json d = decode::json_value(member...);
        if (!(d.is_null() || d == false || d == "" || d == nlohmann::json::array()))
            help += " (default " +
                    (d.is_string()         ? d.get<std::string>()
                     : d.is_number_float() ? decode::format_number(d.get<double>())
                                           : d.dump()) +
                    ")";
        const std::string name = option_name(f.name);
        for (OptionSpec& o : out) {
            if (o.name != name) continue;
            if (o.help.find(help) == std::string::npos) o.help += "; " + help;
            return;
        }
        out.push_back({name, f.value_name, help});
    });
}

template <decode::Request R>
std::vector<std::string> option_names() {
    std::vector<std::string> names;
    for (const std::string& f : decode::field_names<R>()) names.push_back(option_name(f));
    return names;
}

// Reads every given option that names a field of r (values unescaped), but the field `skip`.
template <decode::Request R>
Status read_options(const Args& args, R& r, std::string_view skip = {}) {
    Status st;
    R::fields(r, [&](const decode::FieldSpec& f, auto&... member) {
        const std::string name = option_name(f.name);
        if (st && args.has(name) && f.name != skip)
            st = decode::read_text(unescape(args.get(name)), f, member...);
    });
    return st;
}

// A request from the command line: --request JSON if given, then the options (which override its fields),
// then the request's own check().
template <decode::Request R>
Result<R> read_request(const Args& args) {
    R r;
    if (args.has("request")) {
        Status st;
        const nlohmann::json j = decode::parse_request_text(args.get("request"), R::kName, st);
        if (st) st = decode::check_json_keys(j, R::kName, decode::field_names<R>());
        if (st) st = decode::read_json_fields(j, r);
        if (!st) return make_error("--request: " + st.error());
    }
    if (Status st = read_options(args, r); !st) return make_error(st.error());
    if (Status st = check(r); !st) return make_error(st.error());
    return r;
}

// A usage error naming the first given option that is not in `allowed` ("--beam is not a setting of <what>").
Status refuse_other_options(const Args& args, const std::vector<std::string>& allowed, std::string_view what);

}  // namespace atnat::cli

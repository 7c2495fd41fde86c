// A request's table of fields, in the spirit of gemma.cpp's ForEach args. Every request type R declares its
// members (their initializers are the defaults) and, right below them, one table:
//
//     template <class Self, class Visit> static void fields(Self& r, Visit&& visit) {
//         visit(FieldSpec{"top_k", "K", "sample: keep the K most probable tokens (0 = off)", 0}, r.top_k);
//         ...
//     }
//
// calling visit(spec, member) once per field, in order (a table may include a base's table). From that one
// table come the JSON reader and writer (request.hpp) and the CLI's options, help and values
// (cli/options.hpp), so adding a field to a request is a member and a row here, nothing else. Enums are read
// and written by name: each enum E has an overload choices(E) listing {value, name} pairs.
#pragma once

#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace atnat::decode {

struct FieldSpec {
    const char* name;        // the JSON key; the CLI option is --name with '-' for '_'
    const char* value_name;  // the CLI value's placeholder ("N", "T", "TEXT"); "" for a flag (a bool)
    const char* help;        // one line of --help (the default is added from the member's initializer)
    // Integers: the readers accept whole numbers in [min, max] (a value past the member's type saturates).
    double min = -std::numeric_limits<double>::infinity();
    double max = std::numeric_limits<double>::infinity();
};

template <class E>
struct Choice {
    E value;
    const char* name;
};

// The name of an enum value, and the value of a name (choices(E) lists both).
template <class E>
const char* name_of(E value) {
    for (const Choice<E>& c : choices(value)) {
        if (c.value == value) return c.name;
    }
    return "?";
}

template <class E>
std::optional<E> parse_choice(std::string_view name) {
    for (const Choice<E>& c : choices(E{})) {
        if (name == c.name) return c.value;
    }
    return std::nullopt;
}

// "greedy, sample, beam": the names for an error message.
template <class E>
std::string choice_names() {
    std::string s;
    for (const Choice<E>& c : choices(E{})) s += (s.empty() ? "" : ", ") + std::string(c.name);
    return s;
}

}  // namespace atnat::decode

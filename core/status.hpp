// Errors in atnat are values, not exceptions: every fallible core function returns Result<T>.
// The core never calls exit() or abort() on bad input; callers (CLI, Embind glue) turn errors into
// a printed line or a JS exception.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace atnat {

struct Error {
    std::string message;  // a sentence a person can act on, e.g. "tensor 'wte': shape [3, 4] needs 48 bytes,
                          // range has 40"
};

template <class T>
class Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error error) : v_(std::move(error)) {}

    bool ok() const { return std::holds_alternative<T>(v_); }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<T>(v_); }
    const T& value() const& { return std::get<T>(v_); }
    T&& value() && { return std::get<T>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const std::string& error() const { return std::get<Error>(v_).message; }

private:
    std::variant<T, Error> v_;
};

// Result<void>: success or an error message.
struct Status {
    std::string message;  // empty means ok
    static Status ok_status() { return {}; }
    static Status failure(std::string m) { return {std::move(m)}; }
    bool ok() const { return message.empty(); }
    explicit operator bool() const { return ok(); }
    const std::string& error() const { return message; }
};

inline Error make_error(std::string message) {
    return Error{std::move(message)};
}

}  // namespace atnat

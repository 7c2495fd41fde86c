// JSON from untrusted text (weight-file headers and metadata, generation requests): strict and bounded.
//  - syntax errors come back with the parser's own message, made printable;
//  - a key that appears twice in one object is an error (nlohmann's tree would silently keep the last);
//  - nesting deeper than kMaxJsonDepth is an error. A streaming (SAX) pass checks all of this before any
//    tree is built, so nothing recursive (building the tree, dump(), the destructor) sees a deep document:
//    a 100k-deep header used to overflow the native stack and the wasm one.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/status.hpp"

namespace atnat::io {

constexpr size_t kMaxJsonDepth = 64;  // real documents nest 3 deep

// `what` names the document in errors: "<what> is not valid UTF-8 JSON: <why>".
Result<nlohmann::json> parse_json(std::string_view text, const std::string& what);

// For messages: bytes below 0x20 or above 0x7e become '?', and the text is cut after max_len bytes ("...").
// No control character of a hostile file or request ever reaches a terminal through an error message.
std::string printable(std::string_view s, size_t max_len = 160);

}  // namespace atnat::io

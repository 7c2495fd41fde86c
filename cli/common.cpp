// Argument parsing and file helpers shared by the CLI commands.
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "cli/cli.hpp"
#include "cli/options.hpp"

namespace atnat::cli {

Result<Args> Args::parse(std::span<const std::string> argv, std::span<const OptionSpec> options,
                         size_t max_positional) {
    Args args;
    bool options_done = false;
    for (size_t i = 0; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (options_done || a.size() < 2 || a.compare(0, 2, "--") != 0) {
            if (args.positional_.size() == max_positional) {
                return make_error(
                    "unexpected argument '" + a + "'" +
                    (max_positional == 0 ? " (this command takes no positional arguments)" : ""));
            }
            args.positional_.push_back(a);
            continue;
        }
        if (a == "--") {
            options_done = true;
            continue;
        }
        std::string name = a.substr(2);
        std::string value;
        bool inline_value = false;
        if (auto eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name.resize(eq);
            inline_value = true;
        }
        const OptionSpec* spec = nullptr;
        for (const OptionSpec& o : options) {
            if (o.name == name) spec = &o;
        }
        if (!spec) return make_error("unknown option '--" + name + "'");
        if (args.has(name)) return make_error("option '--" + name + "' is given twice");
        if (spec->value_name.empty()) {
            if (inline_value) return make_error("option '--" + name + "' is a flag and takes no value");
        } else if (!inline_value) {
            if (i + 1 >= argv.size()) {
                return make_error("option '--" + name + "' needs a value (" + std::string(spec->value_name) +
                                  ")");
            }
            value = argv[++i];
        }
        args.values_.emplace_back(name, value);
    }
    return args;
}

bool Args::has(std::string_view name) const {
    for (const auto& [k, v] : values_) {
        if (k == name) return true;
    }
    return false;
}

bool Args::flag(std::string_view name) const {
    return has(name);
}

std::vector<std::string> Args::names() const {
    std::vector<std::string> names;
    for (const auto& [k, v] : values_) names.push_back(k);
    return names;
}

std::string Args::get(std::string_view name, std::string_view fallback) const {
    for (const auto& [k, v] : values_) {
        if (k == name) return v;
    }
    return std::string(fallback);
}

Result<int64_t> Args::get_int(std::string_view name, int64_t fallback, int64_t lo, int64_t hi) const {
    if (!has(name)) return fallback;
    const std::string s = get(name);
    const std::string option = std::string("--").append(name);
    int64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    const std::string range = std::string("[") + std::to_string(lo) + ", " + std::to_string(hi) + "]";
    if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
        return make_error(option + " '" + s + "' is not an integer in " + range);
    }
    if (v < lo || v > hi) return make_error(option + " " + s + " is outside " + range);
    return v;
}

Result<double> Args::get_float(std::string_view name, double fallback, double lo, double hi) const {
    if (!has(name)) return fallback;
    const std::string s = get(name);
    const std::string option = std::string("--").append(name);
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    char range[96];
    std::snprintf(range, sizeof range, "[%g, %g]", lo, hi);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty() || !std::isfinite(v)) {
        return make_error(option + " '" + s + "' is not a number in " + range);
    }
    if (v < lo || v > hi) return make_error(option + " " + s + " is outside " + range);
    return v;
}

std::string option_name(std::string_view field) {
    std::string name(field);
    for (char& c : name) c = c == '_' ? '-' : c;
    return name;
}

std::string unescape(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == 'n') {
            out += '\n';
            ++i;
        } else {
            out += s[i];
        }
    }
    return out;
}

Status refuse_other_options(const Args& args, const std::vector<std::string>& allowed,
                            std::string_view what) {
    for (const std::string& name : args.names()) {
        if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
            return Status::failure("--" + name + " is not a setting of " + std::string(what));
    }
    return {};
}

std::string terminal_safe(std::string_view text, bool keep_newlines) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        const auto b = static_cast<unsigned char>(text[i]);
        const bool c1 = b == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) <= 0x9f;
        if ((b < 0x20 && !(keep_newlines && b == '\n')) || b == 0x7f || c1) {
            const unsigned code = c1 ? static_cast<unsigned char>(text[++i]) : b;
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", code);
            out += escaped;
        } else {
            out += text[i];
        }
    }
    return out;
}

int fail(std::string_view message) {
    std::cerr << "atnat: error: " << terminal_safe(message) << "\n";
    return kExitError;
}

int usage_fail(std::string_view message) {
    std::cerr << "atnat: error: " << terminal_safe(message) << "\n";
    return kExitUsage;
}

Result<std::vector<uint8_t>> read_file(const std::string& path, uint64_t max_bytes) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (ec) return make_error("cannot open '" + path + "': " + ec.message());
    if (!std::filesystem::is_regular_file(status)) {
        return make_error("'" + path + "' is not a regular file (a directory, a pipe or a device): refused");
    }
    const uint64_t size = std::filesystem::file_size(path, ec);
    if (!ec && size > max_bytes) {
        return make_error("'" + path + "' has " + std::to_string(size) + " bytes, more than the " +
                          std::to_string(max_bytes) + " this command reads");
    }
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return make_error("cannot open '" + path + "': " + std::strerror(errno));
    std::vector<uint8_t> bytes;
    uint8_t buffer[1 << 16];
    size_t n = 0;
    // at most max_bytes + 1, whatever stat said: a file may grow while it is read
    while (bytes.size() <= max_bytes && (n = std::fread(buffer, 1, sizeof buffer, f)) > 0) {
        bytes.insert(bytes.end(), buffer, buffer + n);
    }
    const bool failed = std::ferror(f) != 0;
    const int err = errno;
    std::fclose(f);
    if (failed) return make_error("cannot read '" + path + "': " + std::strerror(err));
    if (bytes.size() > max_bytes) {
        return make_error("'" + path + "' has more than the " + std::to_string(max_bytes) +
                          " bytes this command reads");
    }
    return bytes;
}

Result<std::string> resolve_model_path(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        const std::string file = (std::filesystem::path(path) / "model.safetensors").string();
        if (!std::filesystem::exists(file, ec)) {
            return make_error("'" + path + "' is a directory without a model.safetensors");
        }
        return file;
    }
    return path;
}

Result<io::WeightFile> load_weights(const std::string& path) {
    auto file = resolve_model_path(path);
    if (!file) return make_error(file.error());
    auto bytes = read_file(*file, kMaxWeightFileBytes);
    if (!bytes) return make_error(bytes.error());
    auto wf = io::WeightFile::parse(std::move(*bytes));
    if (!wf) return make_error(*file + ": " + wf.error());
    return wf;
}

Result<std::string> model_argument(const Args& args) {
    if (args.has("model")) {
        if (!args.positional().empty())
            return make_error("give the model either as --model or as an argument, not both");
        return args.get("model");
    }
    if (args.positional().empty())
        return make_error("no model given (a .safetensors file or a model directory)");
    return args.positional().front();
}

Result<std::vector<Prompt>> read_prompts(const std::string& path, size_t limit) {
    auto bytes = read_file(path, kMaxTextFileBytes);
    if (!bytes) return make_error(bytes.error());
    std::istringstream in(std::string(bytes->begin(), bytes->end()));
    std::vector<Prompt> out;
    std::string line;
    size_t number = 0;
    while (std::getline(in, line) && out.size() < limit) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        const size_t tab = line.find('\t');
        if (tab == std::string::npos)
            return make_error(path + ":" + std::to_string(number) + ": expected FORM<TAB>TEXT");
        out.push_back({line.substr(0, tab), line.substr(tab + 1)});
    }
    if (out.empty()) return make_error(path + ": no prompts");
    return out;
}

std::string human_count(uint64_t n) {
    std::string digits = std::to_string(n);
    std::string grouped;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0) grouped += ',';
        grouped += digits[i];
    }
    char suffix[32] = "";
    if (n >= 1000000000) {
        std::snprintf(suffix, sizeof suffix, " (%.1fG)", static_cast<double>(n) / 1e9);
    } else if (n >= 1000000) {
        std::snprintf(suffix, sizeof suffix, " (%.1fM)", static_cast<double>(n) / 1e6);
    } else if (n >= 10000) {
        std::snprintf(suffix, sizeof suffix, " (%.1fK)", static_cast<double>(n) / 1e3);
    }
    return grouped + suffix;
}

}  // namespace atnat::cli

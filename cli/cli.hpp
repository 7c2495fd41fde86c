// The atnat command-line tool: `atnat <command> [options]`.
// Each command lives in its own cli/cmd_NAME.cpp and defines one `const Command NAME_command`; to add one,
// declare it at the bottom of this file and list it in kCommands in cli/main.cpp. Exit codes: 0 success,
// 1 an error at run time (printed as one line "atnat: error: ..." on stderr), 2 a usage error.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/io/safetensors.hpp"
#include "core/status.hpp"

namespace atnat::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

// One option a command accepts: "--name VALUE" (value_name non-empty) or a flag "--name".
struct OptionSpec {
    std::string name;        // without the dashes
    std::string value_name;  // "" for a flag, e.g. "N" or "PATH" for an option taking a value
    std::string help;
};

// Parsed arguments of one command: "--key value", "--key=value", "--flag", positionals, "--" ends options.
// Unknown options, repeated options, a missing value or too many positionals are errors.
class Args {
public:
    static Result<Args> parse(std::span<const std::string> argv, std::span<const OptionSpec> options,
                              size_t max_positional);

    bool flag(std::string_view name) const;  // a flag given
    bool has(std::string_view name) const;   // an option given (flag or with a value)
    std::string get(std::string_view name, std::string_view fallback = {}) const;
    // Typed getters: the fallback if absent; an error naming the option if not a number or out of range.
    Result<int64_t> get_int(std::string_view name, int64_t fallback, int64_t lo, int64_t hi) const;
    Result<double> get_float(std::string_view name, double fallback, double lo, double hi) const;
    const std::vector<std::string>& positional() const { return positional_; }
    std::vector<std::string> names() const;  // the options given, in order

private:
    std::vector<std::pair<std::string, std::string>> values_;  // name -> value ("" for flags)
    std::vector<std::string> positional_;
};

struct Command {
    std::string_view name;
    std::string_view summary;  // one line for `atnat --help`
    std::string_view usage;    // e.g. "atnat info FILE|DIR [--json]"
    std::span<const OptionSpec> options;
    size_t max_positional;
    int (*run)(const Args& args);  // returns an exit code
};

// --- helpers shared by commands ---
// Text from a file or a request, made safe for a terminal: control characters (C0, DEL, C1) become \xNN
// escapes, so "ESC ]0;title", "ESC [2J" or a carriage return in a hostile file is shown, never obeyed.
// keep_newlines: "\n" passes through (generated poems); otherwise it is escaped too (one-line fields).
std::string terminal_safe(std::string_view text, bool keep_newlines = false);
std::string unescape(std::string_view text);  // "\n" typed on a command line -> a line break
// Prints "atnat: error: MESSAGE" on stderr and returns kExitError.
int fail(std::string_view message);
// Prints "atnat: error: MESSAGE" on stderr and returns kExitUsage (for bad arguments found by a command).
int usage_fail(std::string_view message);
// Reads a whole regular file of at most max_bytes. Anything else is refused before a byte is read: a
// directory, a FIFO (opening it would block until a writer comes), a device such as /dev/zero or
// /dev/urandom (endless), or a file larger than the cap (a sparse 64 GB file).
Result<std::vector<uint8_t>> read_file(const std::string& path, uint64_t max_bytes);
constexpr uint64_t kMaxWeightFileBytes = uint64_t(1) << 30;  // 1 GiB: the wasm heap's own limit
constexpr uint64_t kMaxTextFileBytes = uint64_t(16) << 20;   // prompts, texts to score
constexpr uint64_t kMaxDataFileBytes = uint64_t(64) << 20;   // images, Fashion-MNIST IDX files
// A directory means DIR/model.safetensors (e.g. --model models/poet-at); any other path is used as is.
Result<std::string> resolve_model_path(const std::string& path);
Result<io::WeightFile> load_weights(const std::string& path);  // resolve + read + validate
// The model path of a command: its --model option, else its first positional, else an error.
Result<std::string> model_argument(const Args& args);
std::string human_count(uint64_t n);  // 6012345 -> "6,012,345 (6.0M)"
// A prompt file (models/data/poetry/test_prompts.txt): one "FORM<TAB>TEXT" per line, "\r\n" read as "\n",
// empty lines skipped; at most `limit` prompts. A line without a tab, or a file without prompts, is an error.
struct Prompt {
    std::string form, text;
};
Result<std::vector<Prompt>> read_prompts(const std::string& path, size_t limit = SIZE_MAX);

// --- commands (one file each) ---
extern const Command info_command;       // cli/cmd_info.cpp
extern const Command generate_command;   // cli/cmd_generate.cpp
extern const Command score_command;      // cli/cmd_score.cpp
extern const Command sample_command;     // cli/cmd_sample.cpp
extern const Command eval_command;       // cli/cmd_eval.cpp
extern const Command compare_command;    // cli/cmd_compare.cpp
extern const Command pronounce_command;  // cli/cmd_pronounce.cpp
// eval on an arch "g2p" file (cli/cmd_eval_g2p.cpp)
int run_g2p_eval(const Args& args, const io::WeightFile& file, const std::string& path);

}  // namespace atnat::cli

// atnat info FILE|DIR: what a weight file holds (arch, config, tokenizer, tensors, sizes).
#include <algorithm>
#include <iostream>
#include <optional>

#include "cli/cli.hpp"
#include "core/io/tokenizer.hpp"

namespace atnat::cli {
namespace {

const OptionSpec kOptions[] = {
    {"model", "PATH", "the weight file, or a model directory holding model.safetensors"},
    {"json", "", "print one JSON object instead of text"},
    {"tensors", "", "also list every tensor (name, dtype, shape, bytes)"},
};

nlohmann::json tensor_json(const io::Tensor& t) {
    return {{"name", t.name}, {"dtype", io::dtype_name(t.dtype)}, {"shape", t.shape}, {"nbytes", t.nbytes}};
}

int run_info(const Args& args) {
    auto arg = model_argument(args);
    if (!arg) return usage_fail(arg.error());
    auto path = resolve_model_path(*arg);
    if (!path) return fail(path.error());
    auto wf = load_weights(*path);
    if (!wf) return fail(wf.error());
    std::optional<io::Tokenizer> tokenizer;
    if (wf->has_tokenizer()) {
        auto t = io::Tokenizer::from_json(wf->tokenizer());
        if (!t) return fail(*path + ": " + t.error());
        tokenizer = std::move(*t);
    }
    const auto dump = [](const nlohmann::json& j, int indent) {
        return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
    };
    const char* tokenizer_kind = !tokenizer                                       ? ""
                                 : tokenizer->kind() == io::Tokenizer::Kind::word ? "word"
                                                                                  : "char";

    if (args.flag("json")) {
        nlohmann::json out = {
            {"path", *path},
            {"arch", wf->arch()},
            {"format", wf->metadata().at("format")},
            {"file_bytes", wf->byte_size()},
            {"tensor_count", wf->tensor_count()},
            {"parameter_count", wf->parameter_count()},
            {"config", wf->config()},
            {"tokenizer", nullptr},
            {"tensors", nlohmann::json::array()},
        };
        if (tokenizer) out["tokenizer"] = {{"type", tokenizer_kind}, {"size", tokenizer->size()}};
        for (const io::Tensor& t : wf->tensors()) out["tensors"].push_back(tensor_json(t));
        std::cout << dump(out, 2) << "\n";
        return kExitOk;
    }

    // every field below comes from the file: terminal_safe keeps its control characters from reaching the
    // terminal
    std::cout << "path        " << terminal_safe(*path) << "\n"
              << "arch        " << terminal_safe(wf->arch()) << "\n"
              << "format      " << terminal_safe(wf->metadata().at("format")) << "\n"
              << "file size   " << human_count(wf->byte_size()) << " bytes\n"
              << "tensors     " << wf->tensor_count() << "\n"
              << "parameters  " << human_count(wf->parameter_count()) << "\n"
              << "tokenizer   ";
    if (tokenizer) {
        std::cout << tokenizer_kind << ", " << tokenizer->size() << " tokens\n";
    } else {
        std::cout << "none\n";
    }
    for (const auto& [key, value] : wf->metadata()) {
        if (key != "format" && key != "arch" && key != "config" && key != "tokenizer") {
            std::cout << "metadata    " << terminal_safe(key) << " = " << terminal_safe(value) << "\n";
        }
    }
    std::cout << "config      " << terminal_safe(dump(wf->config(), 2), true) << "\n";
    if (args.flag("tensors")) {
        size_t width = 0;
        for (const io::Tensor& t : wf->tensors()) width = std::max(width, t.name.size());
        std::cout << "\n";
        for (const io::Tensor& t : wf->tensors()) {
            std::string name = terminal_safe(t.name);
            name.resize(width + 2, ' ');
            std::string type = std::string(io::dtype_name(t.dtype)) + " " + io::shape_string(t.shape);
            type.resize(std::max<size_t>(type.size() + 2, 20), ' ');
            std::cout << "  " << name << type << t.nbytes << " bytes\n";
        }
    }
    return kExitOk;
}

}  // namespace

const Command info_command = {
    "info",
    "print a weight file's architecture, config, tokenizer, tensor and parameter counts",
    "atnat info FILE|DIR [--json] [--tensors]",
    kOptions,
    1,
    run_info,
};

}  // namespace atnat::cli

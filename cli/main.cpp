// atnat: the command-line front end of the inference core. `atnat --help` lists the commands.
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "cli/cli.hpp"

namespace atnat::cli {
namespace {

// Every command, in the order `atnat --help` lists them. Add new ones here (and declare them in cli.hpp).
const Command* const kCommands[] = {
    &info_command, &generate_command, &score_command,     &sample_command,
    &eval_command, &compare_command,  &pronounce_command,
};

void print_usage(std::ostream& out) {
    out << "usage: atnat <command> [options]\n\ncommands:\n";
    for (const Command* c : kCommands) {
        std::string name(c->name);
        name.resize(std::max<size_t>(name.size() + 2, 10), ' ');
        out << "  " << name << c->summary << "\n";
    }
    out << "\nrun 'atnat <command> --help' for the options of a command.\n";
}

void print_command_usage(const Command& c, std::ostream& out) {
    out << "usage: " << c.usage << "\n" << c.summary << "\n";
    if (!c.options.empty()) out << "\noptions:\n";
    for (const OptionSpec& o : c.options) {
        std::string left = std::string("--").append(o.name);
        if (!o.value_name.empty()) left.append(" ").append(o.value_name);
        left.resize(std::max<size_t>(left.size() + 2, 20), ' ');
        out << "  " << left << o.help << "\n";
    }
}

int run(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        print_usage(std::cerr);
        return kExitUsage;
    }
    if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        print_usage(std::cout);
        return kExitUsage;
    }
    const Command* command = nullptr;
    for (const Command* c : kCommands) {
        if (c->name == args[0]) command = c;
    }
    if (!command) {
        std::cerr << "atnat: unknown command '" << args[0] << "'\n\n";
        print_usage(std::cerr);
        return kExitUsage;
    }
    const std::span<const std::string> rest(args.data() + 1, args.size() - 1);
    for (const std::string& a : rest) {
        if (a == "--") break;
        if (a == "--help" || a == "-h") {
            print_command_usage(*command, std::cout);
            return kExitUsage;
        }
    }
    auto parsed = Args::parse(rest, command->options, command->max_positional);
    if (!parsed) {
        std::cerr << "atnat " << command->name << ": " << parsed.error() << "\n\n";
        print_command_usage(*command, std::cerr);
        return kExitUsage;
    }
    return command->run(*parsed);
}

}  // namespace
}  // namespace atnat::cli

int main(int argc, char** argv) {
    return atnat::cli::run(argc, argv);
}

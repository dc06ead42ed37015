// Running the project's tools and Python from tests: exit code plus captured output.
#pragma once
#include <string>

namespace tvlite::test {

struct CommandResult {
  int exit_code = -1;   // the process's exit status; 128+N when killed by signal N
  std::string output;   // stdout and stderr, interleaved
};

// Runs `command` through /bin/sh, capturing both streams.
CommandResult run_command(const std::string& command);

// Single-quotes `s` for /bin/sh.
std::string shell_quote(const std::string& s);

bool file_exists(const std::string& path);

}  // namespace tvlite::test

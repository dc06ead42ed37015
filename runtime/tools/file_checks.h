// What the command-line tools check about the paths they are given, before opening anything:
// inputs must be regular files (stat only: opening a FIFO would wait for a writer), outputs are
// replaced by rename() and so must not be a symlink, device, FIFO or directory (as root,
// `--output /dev/null` would otherwise delete the device node), and no output may be an input.
#pragma once
#include <string>

namespace tvlite::tools {

// "" when `path` is an existing regular file, else the reason ("... is a directory").
std::string input_problem(const std::string& path);
// "" when `path` is absent or a regular file that may be replaced, else the reason.
std::string output_problem(const std::string& path);
// True when both paths name one existing file (same device and inode).
bool same_file(const std::string& a, const std::string& b);

}  // namespace tvlite::tools

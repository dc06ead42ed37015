// The tvlite-export command line, as a library function so that tests can run it in-process.
#pragma once
#include <iosfwd>

namespace tvlite::exporter {

// Parses argv, reads, detects, checks and writes. Returns 0 on success, 1 on any error, after
// printing one or more lines starting "error: " to err. Never throws.
int export_main(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace tvlite::exporter

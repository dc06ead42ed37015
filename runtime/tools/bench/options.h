// tvlite-bench's command line.
#pragma once
#include <string>
#include <vector>

namespace tvlite::bench {

struct Options {
  std::string model_path;
  std::string shape_text;          // NxCxHxW; empty: 1 x 3 x the model's default size
  std::vector<int> threads{1};     // --threads 1,2: one run per count
  bool thread_sweep = false;       // --thread-sweep: 1 .. online CPUs
  long warmup = 3, iters = 20, loads = 5;
  bool json = false;               // one JSON object on stdout instead of text
  bool profile = false;            // per-layer table (implied by --csv and --html)
  bool drop_cache = true;          // the cold open drops the file from the page cache first
  std::string json_out, csv_out, html_out, compare_path;
  // --report A.json [B.json] -o OUT.html: no benchmark, a report of saved results.
  std::vector<std::string> report_inputs;
  std::string report_out;
  bool help = false;
};

extern const char kUsage[];

// Fills *out from argv; false with *error on a bad command line.
bool parse_options(int argc, char** argv, Options* out, std::string* error);

}  // namespace tvlite::bench

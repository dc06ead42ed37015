// Everything one tvlite-bench run measured and the facts that make it reproducible. Written as
// JSON (result_json.cc), read back from JSON for --compare and --report, rendered as text, CSV
// and HTML.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace tvlite::bench {

// The spread of a set of samples (milliseconds unless said otherwise).
struct Spread {
  int n = 0;
  double min = 0, p25 = 0, median = 0, p75 = 0, p90 = 0, max = 0;
  double mean = 0, stdev = 0;  // sample standard deviation
  double mad = 0;              // median absolute deviation from the median
};

// Nearest-rank percentiles, mean, stdev and MAD; an empty input gives all zeros.
Spread spread_of(std::vector<double> samples);

struct LayerStat {
  std::string name, kind;
  std::array<int64_t, 4> in{}, out{};  // N, C, H, W
  int64_t macs = 0, flops = 0;
  double median_ms = 0, min_ms = 0, max_ms = 0;  // over the profiled runs
  double gflops = 0;                              // flops / median time
  double share_pct = 0;                           // of the sum of all layers' medians
};

// One thread count.
struct ThreadRun {
  int threads = 1;
  size_t arena_bytes = 0;
  Spread latency;                  // of samples_ms
  std::vector<double> samples_ms;  // every timed run, in run order
  std::vector<LayerStat> layers;   // empty without --profile
  int profile_iters = 0;
};

struct Metadata {
  std::string version, commit, compiler;
  std::string model_path, arch, model_xxh3;  // 16 hex digits of XXH3-64 over the whole file
  uint64_t model_bytes = 0;
  std::string cpu_model, ukernel, os, host, date_utc;
  std::vector<std::string> cpu_features;
  int cpu_count = 0;
};

struct LoadStats {
  double cold_ms = 0;        // the first open in the process (open to ready)
  bool cache_dropped = false;
  double resident_pct = -1;  // share of the file in the page cache at that open (-1: unknown)
  std::string cold_note;     // what "cold" meant for this run, in words
  double first_run_ms = 0;   // the first inference after it (weights read on first touch)
  Spread warm;               // repeated opens, file in the page cache
};

struct BenchResult {
  Metadata meta;
  std::array<int64_t, 4> shape{};
  int warmup = 0, iters = 0;
  LoadStats load;
  int64_t peak_rss_kb = 0;
  std::vector<ThreadRun> runs;  // one per thread count, in the order run; never empty
};

}  // namespace tvlite::bench

// The measurements: cold and warm loads, timed runs per thread count, profiled runs.
#pragma once
#include <string>

#include "bench/options.h"
#include "bench/result.h"

namespace tvlite::bench {

// Runs the benchmark `options` describes into *out (metadata included). False with *error
// ("file: what failed") when the model cannot be opened or run.
bool run_benchmark(const Options& options, BenchResult* out, std::string* error);

}  // namespace tvlite::bench

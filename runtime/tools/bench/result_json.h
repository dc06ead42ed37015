// BenchResult <-> JSON. The top level keeps the keys bench/compare reads (load_ms, latency_ms
// {min, median, p90, max}, peak_rss_kb, arena_bytes, weights_bytes, threads) for the first thread
// count; "runs" holds every thread count in full.
#pragma once
#include <string>

#include "bench/result.h"

namespace tvlite::bench {

std::string result_to_json(const BenchResult& r);

// Reads what result_to_json() wrote. False with *error naming the first missing or mistyped key
// (or the JSON syntax error); never crashes on any input.
bool result_from_json(const std::string& text, BenchResult* out, std::string* error);

// Reads and parses a result file; errors start with the path.
bool read_result_file(const std::string& path, BenchResult* out, std::string* error);

}  // namespace tvlite::bench

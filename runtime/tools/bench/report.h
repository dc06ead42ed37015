// tvlite-bench's outputs besides JSON: text (stdout), CSV, self-contained HTML, comparisons.
#pragma once
#include <cstdio>
#include <string>
#include <vector>

#include "bench/result.h"

namespace tvlite::bench {

void print_text(const BenchResult& r, std::FILE* out);

// Metadata as "# key: value" lines, then a header and one row per layer and thread count.
std::string result_to_csv(const BenchResult& r);

// One run, or two side by side (labels name them: file names, "baseline"/"now").
std::string render_html(const std::vector<const BenchResult*>& results,
                        const std::vector<std::string>& labels);

// Per figure: baseline, now, change %; notes when model, CPU, shape or build differ.
void print_comparison(const BenchResult& baseline, const BenchResult& now,
                      const std::string& baseline_name, std::FILE* out);

// Escapes &, <, >, " and ' for HTML text and attributes.
std::string html_escape(const std::string& s);

// "%.*f" as a string.
std::string fixed(double v, int decimals);

}  // namespace tvlite::bench

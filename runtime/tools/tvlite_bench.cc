// tvlite-bench MODEL.tvl [options]: load time (cold and warm), latency spread, memory, per-layer
// profile and thread sweep of one model, as text, JSON, CSV or a self-contained HTML report;
// --compare prints the change against a saved JSON; --report renders saved JSONs side by side.
// The measurements are in bench/measure.cc; everything timed goes through the public API.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "bench/measure.h"
#include "bench/options.h"
#include "bench/report.h"
#include "bench/result_json.h"
#include "tvlite/kernels/gemm_microkernel.h"

namespace {

// TVLITE_GEMM_UKERNEL=NAME picks a GEMM micro-kernel by name (kernels/README.md). The kernels
// quietly keep the default for a name this CPU does not run; a measurement is where that matters,
// so it is said here.
void warn_if_ukernel_ignored() {
  const char* want = std::getenv("TVLITE_GEMM_UKERNEL");
  const char* chosen = tvlite::kernels::gemm_f32_ukernel_default().name;
  if (want == nullptr || std::strcmp(want, chosen) == 0) return;
  int count = 0;
  const tvlite::kernels::GemmUkernel* list = tvlite::kernels::gemm_f32_ukernels(&count);
  std::string names;
  for (int i = 0; i < count; ++i) names += std::string(i > 0 ? ", " : "") + list[i].name;
  std::fprintf(stderr,
               "warning: TVLITE_GEMM_UKERNEL=%s is not a micro-kernel this CPU runs (%s); "
               "measuring %s\n",
               want, names.c_str(), chosen);
}

int fail(const std::string& m) {
  std::fprintf(stderr, "error: %s\n", m.c_str());
  return 1;
}

bool write_file(const std::string& path, const std::string& text, std::string* error) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out) out << text;
  if (out) out.close();
  if (!out) {
    *error = "cannot write '" + path + "'";
    return false;
  }
  return true;
}

std::string base_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

int report(const tvlite::bench::Options& o) {
  using tvlite::bench::BenchResult;
  std::vector<BenchResult> results(o.report_inputs.size());
  std::vector<const BenchResult*> ptrs;
  std::vector<std::string> labels;
  std::string error;
  for (size_t i = 0; i < results.size(); ++i) {
    if (!tvlite::bench::read_result_file(o.report_inputs[i], &results[i], &error)) {
      return fail(error);
    }
    ptrs.push_back(&results[i]);
    labels.push_back(base_name(o.report_inputs[i]));
  }
  if (labels.size() == 2 && labels[0] == labels[1]) labels = {"A: " + labels[0], "B: " + labels[1]};
  if (!write_file(o.report_out, tvlite::bench::render_html(ptrs, labels), &error)) {
    return fail(error);
  }
  if (results.size() == 2) {
    tvlite::bench::print_comparison(results[0], results[1], o.report_inputs[0], stdout);
  }
  std::printf("wrote %s\n", o.report_out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  tvlite::bench::Options o;
  std::string error;
  if (!tvlite::bench::parse_options(argc, argv, &o, &error)) return fail(error);
  if (o.help) {
    std::printf("%s", tvlite::bench::kUsage);
    return 0;
  }
  if (!o.report_inputs.empty()) return report(o);

  // Read the baseline first: a bad one fails before minutes of measuring.
  tvlite::bench::BenchResult baseline;
  if (!o.compare_path.empty() &&
      !tvlite::bench::read_result_file(o.compare_path, &baseline, &error)) {
    return fail("--compare: " + error);
  }
  warn_if_ukernel_ignored();
  tvlite::bench::BenchResult r;
  if (!tvlite::bench::run_benchmark(o, &r, &error)) return fail(error);

  const std::string json = tvlite::bench::result_to_json(r);
  if (o.json) {
    std::fputs(json.c_str(), stdout);
  } else {
    tvlite::bench::print_text(r, stdout);
  }
  if (!o.json_out.empty() && !write_file(o.json_out, json, &error)) return fail(error);
  if (!o.csv_out.empty() && !write_file(o.csv_out, tvlite::bench::result_to_csv(r), &error)) {
    return fail(error);
  }
  if (!o.html_out.empty() &&
      !write_file(o.html_out, tvlite::bench::render_html({&r}, {base_name(o.model_path)}),
                  &error)) {
    return fail(error);
  }
  if (!o.compare_path.empty()) {
    // stdout stays one JSON object under --json.
    tvlite::bench::print_comparison(baseline, r, o.compare_path, o.json ? stderr : stdout);
  }
  return 0;
}

#include "bench/options.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "file_checks.h"

namespace tvlite::bench {

const char kUsage[] =
    "usage: tvlite-bench MODEL.tvl [--threads N[,N...] | --thread-sweep] [--warmup N] [--iters N]\n"
    "                   [--loads N] [--shape NxCxHxW] [--no-drop-cache] [--profile] [--json]\n"
    "                   [--json-out FILE] [--csv FILE] [--html FILE] [--compare BASELINE.json]\n"
    "       tvlite-bench --report A.json [B.json] -o REPORT.html\n";

namespace {

bool parse_long(const std::string& s, long lo, long hi, long* out) {
  char* end = nullptr;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || end == s.c_str() || *end != '\0' || v < lo || v > hi) return false;
  *out = v;
  return true;
}

bool parse_thread_list(const std::string& s, std::vector<int>* out) {
  out->clear();
  size_t start = 0;
  for (;;) {
    const size_t comma = s.find(',', start);
    long v = 0;
    if (!parse_long(s.substr(start, comma - start), 1, 256, &v)) return false;
    out->push_back(int(v));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out->size() <= 64;
}

}  // namespace

namespace {

// Inputs are regular files; outputs may be replaced, sit in a writable folder, and are neither
// an input nor each other.
bool check_paths(const std::vector<std::string>& inputs, const std::vector<std::string>& outputs,
                 std::string* error) {
  for (const std::string& in : inputs) {
    *error = tools::input_problem(in);
    if (!error->empty()) return false;
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    const std::string& out = outputs[i];
    *error = tools::output_problem(out);
    if (!error->empty()) return false;
    const size_t slash = out.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : out.substr(0, slash);
    if (::access(dir.c_str(), W_OK) != 0) {
      *error = "cannot write into '" + dir + "' (for " + out + "): " + std::strerror(errno);
      return false;
    }
    for (const std::string& in : inputs) {
      if (out == in || tools::same_file(in, out)) {
        *error = "output '" + out + "' is the input file '" + in + "'; refusing to overwrite it";
        return false;
      }
    }
    for (size_t j = 0; j < i; ++j) {
      if (outputs[j] == out || tools::same_file(outputs[j], out)) {
        *error = "'" + out + "' is given for two outputs";
        return false;
      }
    }
  }
  error->clear();
  return true;
}

}  // namespace

bool parse_options(int argc, char** argv, Options* o, std::string* error) {
  bool report = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&](std::string* v) {
      if (i + 1 >= argc) {
        *error = "option " + a + " needs a value";
        return false;
      }
      *v = argv[++i];
      return true;
    };
    std::string v;
    if (a == "-h" || a == "--help") {
      o->help = true;
      return true;
    } else if (a == "--json") {
      o->json = true;
    } else if (a == "--profile") {
      o->profile = true;
    } else if (a == "--thread-sweep") {
      o->thread_sweep = true;
    } else if (a == "--no-drop-cache") {
      o->drop_cache = false;
    } else if (a == "--report") {
      report = true;
    } else if (a == "--threads") {
      if (!next(&v)) return false;
      if (!parse_thread_list(v, &o->threads)) {
        *error = "bad value for --threads: '" + v + "' (N or N,N,... with 1 <= N <= 256)";
        return false;
      }
    } else if (a == "--warmup" || a == "--iters" || a == "--loads") {
      if (!next(&v)) return false;
      long* dst = a == "--warmup" ? &o->warmup : a == "--iters" ? &o->iters : &o->loads;
      if (!parse_long(v, a == "--warmup" ? 0 : 1, 1000000, dst)) {
        *error = "bad value for " + a + ": '" + v + "'";
        return false;
      }
    } else if (a == "--shape" || a == "--json-out" || a == "--csv" || a == "--html" ||
               a == "--compare" || a == "-o") {
      if (!next(&v)) return false;
      if (a == "--shape") o->shape_text = v;
      if (a == "--json-out") o->json_out = v;
      if (a == "--csv") o->csv_out = v;
      if (a == "--html") o->html_out = v;
      if (a == "--compare") o->compare_path = v;
      if (a == "-o") o->report_out = v;
    } else if (!a.empty() && a[0] == '-') {
      *error = "unexpected argument '" + a + "'";
      return false;
    } else if (report) {
      o->report_inputs.push_back(a);
    } else if (!o->model_path.empty()) {
      *error = "unexpected argument '" + a + "' (one model per run)";
      return false;
    } else {
      o->model_path = a;
    }
  }
  if (report) {
    if (o->report_inputs.empty() || o->report_inputs.size() > 2 || o->report_out.empty()) {
      *error = "--report takes one or two result files and -o REPORT.html";
      return false;
    }
    if (!o->model_path.empty()) {
      *error = "--report reads saved results; give the model to a benchmark run instead";
      return false;
    }
    return check_paths(o->report_inputs, {o->report_out}, error);
  }
  if (o->model_path.empty()) {
    *error = "no model given; usage: tvlite-bench MODEL.tvl [options] (--help)";
    return false;
  }
  if (!o->report_out.empty()) {
    *error = "-o is for --report; a benchmark writes --json-out, --csv and --html files";
    return false;
  }
  if (o->thread_sweep) {
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    o->threads.clear();
    for (int t = 1; t <= (n > 0 ? std::min(n, 256L) : 1L); ++t) o->threads.push_back(t);
  }
  if (!o->csv_out.empty() || !o->html_out.empty()) o->profile = true;
  // Paths are checked now, not after a long measurement.
  std::vector<std::string> inputs = {o->model_path};
  if (!o->compare_path.empty()) inputs.push_back(o->compare_path);
  std::vector<std::string> outputs;
  for (const std::string* out : {&o->json_out, &o->csv_out, &o->html_out}) {
    if (!out->empty()) outputs.push_back(*out);
  }
  return check_paths(inputs, outputs, error);
}

}  // namespace tvlite::bench

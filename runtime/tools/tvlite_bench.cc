// tvlite-bench MODEL.tvl [--threads N] [--warmup N] [--iters N] [--shape NxCxHxW] [--json]
// Load time (open to ready), latency percentiles, peak RSS and arena size of one model.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "tvlite/model.h"
#include "tvlite/session.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

int fail(const std::string& m) {
  std::fprintf(stderr, "error: %s\n", m.c_str());
  return 1;
}

bool parse_count(const char* s, long lo, long hi, long* out) {
  char* end = nullptr;
  const long v = std::strtol(s, &end, 10);
  if (end == s || *end != '\0' || v < lo || v > hi) return false;
  *out = v;
  return true;
}

bool parse_shape(const std::string& s, tvlite::Shape4* shape) {
  long long v[4];
  char tail;
  if (std::sscanf(s.c_str(), "%lldx%lldx%lldx%lld%c", &v[0], &v[1], &v[2], &v[3], &tail) != 4) {
    return false;
  }
  for (long long d : v) {
    if (d < 1 || d > 65536) return false;
  }
  *shape = {v[0], v[1], v[2], v[3]};
  return true;
}

// Nearest-rank percentile of sorted samples.
double percentile(const std::vector<double>& sorted, double p) {
  const size_t i = size_t(std::min<double>(double(sorted.size() - 1), p / 100.0 * double(sorted.size())));
  return sorted[i];
}

}  // namespace

int main(int argc, char** argv) {
  std::string path, shape_text;
  long threads = 1, warmup = 3, iters = 20;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--json") {
      json = true;
    } else if (a == "--threads" || a == "--warmup" || a == "--iters" || a == "--shape") {
      if (i + 1 >= argc) return fail("option " + a + " needs a value");
      const char* v = argv[++i];
      if (a == "--shape") {
        shape_text = v;
      } else if (!parse_count(v, a == "--warmup" ? 0 : 1, a == "--threads" ? 256 : 1000000,
                              a == "--threads" ? &threads : a == "--warmup" ? &warmup : &iters)) {
        return fail("bad value for " + a + ": '" + v + "'");
      }
    } else if (a == "-h" || a == "--help") {
      std::printf("usage: tvlite-bench MODEL.tvl [--threads N] [--warmup N] [--iters N] "
                  "[--shape NxCxHxW] [--json]\n");
      return 0;
    } else if (a[0] == '-' || !path.empty()) {
      return fail("unexpected argument '" + a + "'");
    } else {
      path = a;
    }
  }
  if (path.empty()) return fail("usage: tvlite-bench MODEL.tvl [options]");

  const auto t0 = Clock::now();
  auto model = tvlite::Model::open(path);
  if (!model) return fail(path + ": " + model.status().to_string());
  tvlite::Shape4 shape{1, 3, (*model)->input().height, (*model)->input().width};
  if (!shape_text.empty() && !parse_shape(shape_text, &shape)) {
    return fail("--shape takes NxCxHxW, got '" + shape_text + "'");
  }
  tvlite::SessionOptions options;
  options.threads = int(threads);
  auto session = tvlite::Session::create(*model, options);
  if (!session) return fail(session.status().to_string());
  const tvlite::Status prepared = (*session)->prepare(shape);
  if (!prepared) return fail(prepared.to_string());
  const double load_ms = ms_since(t0);

  std::vector<float> input(size_t(shape.n * shape.c * shape.h * shape.w));
  for (size_t i = 0; i < input.size(); ++i) input[i] = float(int(i % 255) - 127) / 128.0f;
  std::vector<float> output(size_t(shape.n * (*session)->num_classes()));
  std::vector<double> samples;
  for (long i = 0; i < warmup + iters; ++i) {
    const auto t = Clock::now();
    const tvlite::Status st = (*session)->run(shape, input.data(), output.data());
    if (!st) return fail(st.to_string());
    if (i >= warmup) samples.push_back(ms_since(t));
  }
  std::sort(samples.begin(), samples.end());
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  const double lmin = samples.front(), lmed = percentile(samples, 50), p90 = percentile(samples, 90),
               lmax = samples.back();
  if (json) {
    std::printf("{\"model\":\"%s\",\"arch\":\"%s\",\"shape\":[%lld,%lld,%lld,%lld],\"threads\":%d,"
                "\"warmup\":%ld,\"iters\":%ld,\"load_ms\":%.3f,"
                "\"latency_ms\":{\"min\":%.3f,\"median\":%.3f,\"p90\":%.3f,\"max\":%.3f},"
                "\"peak_rss_kb\":%ld,\"arena_bytes\":%zu,\"weights_bytes\":%zu}\n",
                path.c_str(), (*model)->arch().name.c_str(), (long long)shape.n,
                (long long)shape.c, (long long)shape.h, (long long)shape.w,
                (*session)->threads(), warmup, iters, load_ms, lmin, lmed, p90, lmax, ru.ru_maxrss,
                (*session)->arena_bytes(), (*model)->size());
  } else {
    std::printf("%s (%s), input %lldx%lldx%lldx%lld, %d thread(s), %ld iterations\n",
                path.c_str(), (*model)->arch().name.c_str(), (long long)shape.n,
                (long long)shape.c, (long long)shape.h, (long long)shape.w, (*session)->threads(),
                iters);
    std::printf("load      %.2f ms (open to ready)\n", load_ms);
    std::printf("latency   min %.2f  median %.2f  p90 %.2f  max %.2f ms\n", lmin, lmed, p90, lmax);
    std::printf("memory    peak RSS %ld KiB, arena %zu KiB, file %zu KiB (mapped)\n", ru.ru_maxrss,
                (*session)->arena_bytes() / 1024, (*model)->size() / 1024);
  }
  return 0;
}

// libtorch_bench MODEL.ts.pt [--threads N] [--warmup N] [--iters N] [--shape NxCxHxW]
// The LibTorch contender of bench/compare: runs a frozen TorchScript module and prints one JSON
// object with the fields of `tvlite-bench --json` (load_ms, latency_ms min/median/p90/max,
// peak_rss_kb) so the two are read by the same code.
//
// load_ms is torch::jit::load to ready (LibTorch's shared libraries are already mapped by the
// dynamic loader when main starts, as tvlite's are). The input is tvlite-bench's pattern,
// (i % 255 - 127) / 128, so both see the same values. out_sum lets the caller check that the
// contenders computed the same function.
#include <sys/resource.h>
#include <ATen/Parallel.h>
#include <torch/script.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

int fail(const std::string& m) {
  std::fprintf(stderr, "error: %s\n", m.c_str());
  return 1;
}

// Nearest-rank percentile of sorted samples, the same rule as tvlite-bench.
double percentile(const std::vector<double>& sorted, double p) {
  const size_t i =
      size_t(std::min<double>(double(sorted.size() - 1), p / 100.0 * double(sorted.size())));
  return sorted[i];
}

}  // namespace

int main(int argc, char** argv) {
  std::string path;
  long threads = 1, warmup = 3, iters = 20;
  long long shape[4] = {1, 3, 224, 224};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--threads" || a == "--warmup" || a == "--iters" || a == "--shape") && i + 1 < argc) {
      const char* v = argv[++i];
      if (a == "--shape") {
        if (std::sscanf(v, "%lldx%lldx%lldx%lld", &shape[0], &shape[1], &shape[2], &shape[3]) != 4)
          return fail("--shape takes NxCxHxW");
      } else {
        char* end = nullptr;
        const long n = std::strtol(v, &end, 10);
        if (end == v || *end != '\0' || n < (a == "--warmup" ? 0 : 1)) return fail("bad " + a);
        (a == "--threads" ? threads : a == "--warmup" ? warmup : iters) = n;
      }
    } else if (a[0] == '-' || !path.empty()) {
      return fail("unexpected argument '" + a + "'");
    } else {
      path = a;
    }
  }
  if (path.empty()) return fail("usage: libtorch_bench MODEL.ts.pt [options]");

  // Intra-op threads as asked; no inter-op parallelism, as for the other contenders.
  at::set_num_interop_threads(1);
  at::set_num_threads(int(threads));
  c10::InferenceMode inference_mode;
  torch::NoGradGuard no_grad;

  const auto t0 = Clock::now();
  torch::jit::Module module;
  try {
    module = torch::jit::load(path);
    module.eval();
  } catch (const c10::Error& e) {
    return fail(path + ": " + e.what_without_backtrace());
  }
  const double load_ms = ms_since(t0);

  at::Tensor input = torch::empty({shape[0], shape[1], shape[2], shape[3]}, torch::kFloat32);
  float* p = input.data_ptr<float>();
  for (int64_t i = 0; i < input.numel(); ++i) p[i] = float(int(i % 255) - 127) / 128.0f;
  std::vector<torch::jit::IValue> inputs{input};

  std::vector<double> samples;
  double out_sum = 0;
  for (long i = 0; i < warmup + iters; ++i) {
    const auto t = Clock::now();
    at::Tensor out = module.forward(inputs).toTensor();
    if (i >= warmup) samples.push_back(ms_since(t));
    if (i + 1 == warmup + iters) out_sum = out.sum().item<double>();
  }
  std::sort(samples.begin(), samples.end());
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  std::printf("{\"model\":\"%s\",\"runtime\":\"libtorch %s\",\"threads\":%d,\"warmup\":%ld,"
              "\"iters\":%ld,\"load_ms\":%.3f,"
              "\"latency_ms\":{\"min\":%.3f,\"median\":%.3f,\"p90\":%.3f,\"max\":%.3f},"
              "\"peak_rss_kb\":%ld,\"out_sum\":%.6g}\n",
              path.c_str(), TORCH_VERSION, at::get_num_threads(), warmup, iters, load_ms,
              samples.front(), percentile(samples, 50), percentile(samples, 90), samples.back(),
              ru.ru_maxrss, out_sum);
  return 0;
}

// tvlite-kernels-bench: GFLOP/s of gemm_f32 on ResNet-50's GEMM shapes and time of all 53
// ResNet-50 (224x224, batch 1) convolutions through conv2d_f32, on 1..N threads.
// Usage: tvlite-kernels-bench [threads=1] [repeats=5]. Not a test: nothing here passes or fails.
// Every micro-kernel this CPU runs is measured on the GEMM shapes, side by side; the convolutions
// use the default one (TVLITE_GEMM_UKERNEL=NAME picks another).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <ctime>
#include <thread>
#include <vector>

#include "tvlite/kernels/conv2d.h"
#include "tvlite/kernels/cpu.h"
#include "tvlite/kernels/gemm.h"
#include "tvlite/kernels/gemm_microkernel.h"
#include "tvlite/kernels/linear.h"

namespace k = tvlite::kernels;

namespace {

// One std::thread per range beyond the first (the caller's); enough for a benchmark.
class SpawnParallel final : public k::Parallel {
 public:
  explicit SpawnParallel(int threads) : threads_(threads) {}
  int num_threads() const override { return threads_; }
  void run(int64_t n, k::RangeFn fn, void* ctx) override {
    const int parts = int(std::min<int64_t>(threads_, n));
    std::vector<std::thread> workers;
    for (int t = 1; t < parts; ++t) {
      workers.emplace_back([=] { fn(ctx, n * t / parts, n * (t + 1) / parts, t); });
    }
    fn(ctx, 0, n / parts, 0);
    for (auto& w : workers) w.join();
  }

 private:
  int threads_;
};

// One thread: the thread's CPU time, so that time the scheduler gives other processes on a
// shared machine is not counted. More threads: wall time (the others' CPU time would not count).
bool g_cpu_time = false;
double now() {
  if (g_cpu_time) {
    timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::vector<float> random_floats(size_t n) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

struct Conv {
  int cin, cout, kernel, stride, in;
};

std::vector<Conv> resnet50_convs() {
  std::vector<Conv> c = {{3, 64, 7, 2, 224}};
  const int blocks[4] = {3, 4, 6, 3};
  int in_ch = 64, size = 56;
  for (int stage = 0; stage < 4; ++stage) {
    const int width = 64 << stage, out = width * 4;
    for (int b = 0; b < blocks[stage]; ++b) {
      const int stride = (b == 0 && stage > 0) ? 2 : 1;
      c.push_back({in_ch, width, 1, 1, size});
      c.push_back({width, width, 3, stride, size});
      const int out_size = size / stride;
      c.push_back({width, out, 1, 1, out_size});
      if (b == 0) c.push_back({in_ch, out, 1, stride, size});
      in_ch = out;
      size = out_size;
    }
  }
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 5;
  g_cpu_time = threads == 1;
  k::set_flush_denormals(true);
  SpawnParallel pool(threads);
  k::Parallel* par = threads > 1 ? &pool : nullptr;
  std::printf("threads=%d repeats=%d (best of; %s)\n", threads, repeats,
              g_cpu_time ? "thread CPU time" : "wall time");

  struct Shape {
    int64_t m, n, k;
  };
  const Shape shapes[] = {{64, 12544, 147}, {64, 3136, 64},   {64, 3136, 576},
                          {256, 3136, 64},  {128, 784, 1152}, {512, 784, 128},
                          {256, 196, 2304}, {1024, 196, 256}, {512, 49, 4608},
                          {2048, 49, 512},  {512, 49, 2048}};
  int count = 0;
  const k::GemmUkernel* uks = k::gemm_f32_ukernels(&count);
  for (int u = 0; u < count; ++u) {
    std::printf("\n%s (%dx%d)\n%6s %6s %6s %10s\n", uks[u].name, uks[u].mr, uks[u].nr, "M", "N",
                "K", "GFLOP/s");
    double total_flop = 0, total_time = 0;
    for (const Shape& s : shapes) {
      const auto a = random_floats(size_t(s.m * s.k)), b = random_floats(size_t(s.k * s.n)),
                 bias = random_floats(size_t(s.m));
      std::vector<float> c(size_t(s.m * s.n));
      double best = 1e9;
      for (int r = 0; r < repeats; ++r) {
        const double t0 = now();
        k::gemm_f32_with(uks[u], s.m, s.n, s.k, a.data(), s.k, b.data(), s.n, bias.data(),
                         c.data(), s.n, par);
        best = std::min(best, now() - t0);
      }
      const double flop = 2.0 * s.m * s.n * s.k;
      total_flop += flop;
      total_time += best;
      std::printf("%6lld %6lld %6lld %10.1f\n", (long long)s.m, (long long)s.n, (long long)s.k,
                  flop / best * 1e-9);
    }
    std::printf("%20s %10.1f (all shapes)\n", "", total_flop / total_time * 1e-9);
  }

  // All ResNet-50 convolutions through conv2d_f32 (default micro-kernel).
  const std::vector<Conv> convs = resnet50_convs();
  size_t max_in = 0, max_out = 0, max_w = 0, max_scratch = 0;
  for (const Conv& c : convs) {
    k::Conv2dParams p;
    p.in_channels = c.cin;
    p.out_channels = c.cout;
    p.kernel_h = p.kernel_w = c.kernel;
    p.stride_h = p.stride_w = c.stride;
    p.pad_h = p.pad_w = c.kernel / 2;
    const size_t o = size_t(k::conv2d_output_size(c.in, c.kernel, c.stride, c.kernel / 2, 1));
    max_in = std::max(max_in, size_t(c.cin) * c.in * c.in);
    max_out = std::max(max_out, size_t(c.cout) * o * o);
    max_w = std::max(max_w, size_t(c.cout) * c.cin * c.kernel * c.kernel);
    max_scratch = std::max(max_scratch, k::conv2d_f32_scratch_bytes(p, c.in, c.in, threads));
  }
  const auto input = random_floats(max_in), weight = random_floats(max_w), bias = random_floats(4096);
  std::vector<float> output(max_out);
  void* scratch = std::aligned_alloc(64, (max_scratch + 63) / 64 * 64);
  double best_total = 1e9, flop = 0;
  for (int r = 0; r < repeats; ++r) {
    double total = 0;
    flop = 0;
    for (const Conv& c : convs) {
      k::Conv2dParams p;
      p.in_channels = c.cin;
      p.out_channels = c.cout;
      p.kernel_h = p.kernel_w = c.kernel;
      p.stride_h = p.stride_w = c.stride;
      p.pad_h = p.pad_w = c.kernel / 2;
      const int o = k::conv2d_output_size(c.in, c.kernel, c.stride, c.kernel / 2, 1);
      flop += 2.0 * c.cout * c.cin * c.kernel * c.kernel * o * o;
      const double t0 = now();
      k::conv2d_f32(p, c.in, c.in, input.data(), weight.data(), bias.data(), output.data(),
                    scratch, par);
      total += now() - t0;
    }
    best_total = std::min(best_total, total);
  }
  std::printf("\nResNet-50 convs (%zu layers, %.2f GFLOP): %.1f ms, %.1f GFLOP/s\n", convs.size(),
              flop * 1e-9, best_total * 1e3, flop / best_total * 1e-9);

  const auto fc_w = random_floats(size_t(4096) * 9216), fc_x = random_floats(9216);
  std::vector<float> fc_y(4096);
  double fc_best = 1e9;
  for (int r = 0; r < repeats; ++r) {
    const double t0 = now();
    k::linear_f32(1, 9216, 4096, fc_x.data(), fc_w.data(), bias.data(), fc_y.data(), par);
    fc_best = std::min(fc_best, now() - t0);
  }
  std::printf("linear 9216->4096 batch 1 (AlexNet fc6): %.2f ms, %.1f GB/s of weight\n",
              fc_best * 1e3, 4096.0 * 9216 * 4 / fc_best * 1e-9);
  std::free(scratch);
  return 0;
}

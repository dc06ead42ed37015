// fma_peak [--ms N] [--rounds N]: the machine's measured fp32 FMA peak, the ceiling bench/compare sets
// tvlite's GFLOP/s against. Prints one JSON object:
//   {"isa":"avx2_fma"|"avx512f","gflops":{"1":G1,"2":G2},"cpus":P}
// Each thread runs kChains independent accumulator chains of vfmadd (enough to cover FMA latency x
// the number of FMA pipes on current x86 cores: 4-5 cycles x 2 pipes), counting 2 FLOP per lane.
// The best of many short timed rounds (default 30 of ~25 ms per thread count) is kept: a shared
// machine only ever makes a round slower, and a short round has a fair chance of a free core.
// Built with -mavx2 -mfma; the AVX-512 loop has its own target attribute and runs only when the
// CPU reports avx512f.
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

namespace {

constexpr int kChains = 12;
constexpr long kInnerIters = 1 << 16;  // FMAs per chain between clock reads

using Clock = std::chrono::steady_clock;

// a*b+c with b just under 1 and c tiny: the chains stay finite and normal however long they run.
float fma_chains_f32__avx2(long outer) {
  __m256 acc[kChains];
  for (int j = 0; j < kChains; ++j) acc[j] = _mm256_set1_ps(1.0f + 0.01f * float(j));
  const __m256 b = _mm256_set1_ps(0.9999999f), c = _mm256_set1_ps(1e-7f);
  for (long o = 0; o < outer; ++o) {
    for (long i = 0; i < kInnerIters; ++i) {
      for (int j = 0; j < kChains; ++j) acc[j] = _mm256_fmadd_ps(acc[j], b, c);
    }
  }
  __m256 s = acc[0];
  for (int j = 1; j < kChains; ++j) s = _mm256_add_ps(s, acc[j]);
  return _mm256_cvtss_f32(s);
}

__attribute__((target("avx512f"))) float fma_chains_f32__avx512(long outer) {
  __m512 acc[kChains];
  for (int j = 0; j < kChains; ++j) acc[j] = _mm512_set1_ps(1.0f + 0.01f * float(j));
  const __m512 b = _mm512_set1_ps(0.9999999f), c = _mm512_set1_ps(1e-7f);
  for (long o = 0; o < outer; ++o) {
    for (long i = 0; i < kInnerIters; ++i) {
      for (int j = 0; j < kChains; ++j) acc[j] = _mm512_fmadd_ps(acc[j], b, c);
    }
  }
  // Every chain feeds the result: a chain left out is dead code the compiler removes, and the
  // count below (kChains chains) would then overstate the peak (it read 3x on a Zen 4).
  __m512 s = acc[0];
  for (int j = 1; j < kChains; ++j) s = _mm512_add_ps(s, acc[j]);
  return _mm512_reduce_add_ps(s);
}

// GFLOP/s of `threads` threads each running `outer` x kInnerIters x kChains FMAs of `lanes` lanes.
double measure(int threads, long outer, bool avx512) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  std::vector<float> sink(static_cast<size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load()) {
      }
      sink[size_t(t)] = avx512 ? fma_chains_f32__avx512(outer) : fma_chains_f32__avx2(outer);
    });
  }
  while (ready.load() < threads) {
  }
  const auto t0 = Clock::now();
  go.store(true);
  for (auto& th : pool) th.join();
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  volatile float keep = sink[0];
  (void)keep;
  const double lanes = avx512 ? 16 : 8;
  return double(threads) * double(outer) * kInnerIters * kChains * lanes * 2.0 / s / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  long round_ms = 25, rounds = 30;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--ms") == 0) round_ms = std::max(5L, std::atol(argv[i + 1]));
    if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::max(1L, std::atol(argv[i + 1]));
  }
  const bool avx512 = __builtin_cpu_supports("avx512f");
  const int cpus = int(std::thread::hardware_concurrency());

  // Calibrate one thread to about round_ms per round.
  long outer = 1;
  for (;;) {
    const auto t0 = Clock::now();
    measure(1, outer, avx512);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (ms > round_ms / 4.0 || outer > (1L << 20)) {
      outer = std::max(1L, long(double(outer) * round_ms / ms));
      break;
    }
    outer *= 2;
  }

  double best[3] = {0, 0, 0};
  for (long round = 0; round < rounds; ++round) {
    for (int threads = 1; threads <= 2; ++threads) {
      best[threads] = std::max(best[threads], measure(threads, outer, avx512));
    }
  }
  std::printf("{\"isa\":\"%s\",\"gflops\":{\"1\":%.1f,\"2\":%.1f},\"cpus\":%d}\n",
              avx512 ? "avx512f" : "avx2_fma", best[1], best[2], cpus);
  return 0;
}

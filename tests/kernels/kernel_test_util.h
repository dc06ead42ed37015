// Helpers shared by the kernel tests: a real multi-threaded Parallel, deterministic random data,
// and the comparison of a fast result against the reference with a magnitude-aware tolerance.
#pragma once
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "tvlite/kernels/parallel.h"

namespace tvlite::test {

// Splits [0, n) into up to 4 contiguous ranges per thread, as the runtime's pool does, and runs
// them on num_threads std::threads (the caller is thread 0), thread t taking ranges t,
// t + threads, ... one after another: one thread runs several ranges of a job, with its index.
class ThreadParallel final : public kernels::Parallel {
 public:
  explicit ThreadParallel(int threads) : threads_(threads) {}
  int num_threads() const override { return threads_; }
  void run(int64_t n, kernels::RangeFn fn, void* ctx) override {
    const int64_t ranges = std::min<int64_t>(int64_t(threads_) * 4, n);
    const int threads = int(std::min<int64_t>(threads_, ranges));
    auto thread_body = [=](int t) {
      for (int64_t r = t; r < ranges; r += threads) {
        fn(ctx, n * r / ranges, n * (r + 1) / ranges, t);
      }
    };
    std::vector<std::thread> workers;
    for (int t = 1; t < threads; ++t) workers.emplace_back(thread_body, t);
    if (threads > 0) thread_body(0);
    for (std::thread& w : workers) w.join();
  }

 private:
  int threads_;
};

inline std::vector<float> random_floats(size_t n, uint32_t seed, float lo = -1.0f,
                                        float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

inline std::vector<float> abs_of(const std::vector<float>& v) {
  std::vector<float> a(v.size());
  for (size_t i = 0; i < v.size(); ++i) a[i] = std::fabs(v[i]);
  return a;
}

// Storage aligned to 64 bytes, as the kernels' scratch contract asks.
struct AlignedBuffer {
  explicit AlignedBuffer(size_t bytes)
      : ptr(bytes ? std::aligned_alloc(64, (bytes + 63) / 64 * 64) : nullptr) {}
  ~AlignedBuffer() { std::free(ptr); }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  void* ptr;
};

// |got - want| <= rel * magnitude + abs_tol element-wise, where magnitude[i] is the reference
// evaluated on |inputs| (the sum of |a*b| that bounds the rounding error). Returns the count of
// mismatches and reports the first few.
inline int count_mismatches(const float* got, const float* want, const float* magnitude, size_t n,
                            double rel = 1e-5, double abs_tol = 1e-6) {
  int bad = 0;
  for (size_t i = 0; i < n; ++i) {
    const double tol = rel * (magnitude ? magnitude[i] : std::fabs(want[i])) + abs_tol;
    const double diff = std::fabs(double(got[i]) - double(want[i]));
    if (!(diff <= tol)) {  // also catches NaN
      if (++bad <= 3) {
        MESSAGE("index " << i << ": got " << got[i] << " want " << want[i] << " tol " << tol);
      }
    }
  }
  return bad;
}

}  // namespace tvlite::test

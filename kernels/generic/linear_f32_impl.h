// The fully connected layer's implementation (see linear_f32.cc), included once per instruction
// set: by generic/linear_f32.cc with 4-float vectors and 4 rows per block (16 accumulator
// registers: SSE2, NEON), and by x86/linear_f32__avx512f.cc with 16-float vectors and 8 rows
// (AVX-512: 16 zmm accumulators, and 8 weight rows streamed at once, which keeps more of the
// memory system busy on a batch-1 layer bound by reading its weights). The including file
// defines TVLITE_LINEAR_NS (the namespace that keeps the copies apart), TVLITE_LINEAR_LANES and
// TVLITE_LINEAR_ROWS.
#pragma once
#include <cstdint>
#include <cstring>

#include "tvlite/kernels/parallel.h"

#if !defined(TVLITE_LINEAR_NS) || !defined(TVLITE_LINEAR_LANES) || !defined(TVLITE_LINEAR_ROWS)
#error "define TVLITE_LINEAR_NS, TVLITE_LINEAR_LANES and TVLITE_LINEAR_ROWS first"
#endif

namespace tvlite::kernels::TVLITE_LINEAR_NS {

// A local imin rather than std::min: an inline function with external linkage compiled in the
// AVX-512 copy must not be the one the linker keeps for generic code (parallel_run is static).
inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }

constexpr int64_t kLanes = TVLITE_LINEAR_LANES;
constexpr int64_t kRows = TVLITE_LINEAR_ROWS;
typedef float vf __attribute__((vector_size(kLanes * sizeof(float))));

inline vf load(const float* p) {
  vf v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline float hsum(vf v) {  // pairwise, halving
  float t[kLanes];
  std::memcpy(t, &v, sizeof(v));
  for (int64_t w = kLanes / 2; w >= 1; w /= 2) {
    for (int64_t i = 0; i < w; ++i) t[i] += t[i + w];
  }
  return t[0];
}

// out[r] = dot(w + r*n, x) for r < rows (<= kRows).
inline void dot_rows(int64_t rows, int64_t n, const float* w, const float* x, float* out) {
  const float* wr[kRows];
  for (int64_t r = 0; r < kRows; ++r) wr[r] = w + imin(r, rows - 1) * n;
  vf acc[kRows][2] = {};
  int64_t i = 0;
  for (; i + 2 * kLanes <= n; i += 2 * kLanes) {
    const vf x0 = load(x + i), x1 = load(x + i + kLanes);
    for (int64_t r = 0; r < kRows; ++r) {
      acc[r][0] += load(wr[r] + i) * x0;
      acc[r][1] += load(wr[r] + i + kLanes) * x1;
    }
  }
  for (int64_t r = 0; r < rows; ++r) {
    float s = hsum(acc[r][0] + acc[r][1]);
    for (int64_t j = i; j < n; ++j) s += wr[r][j] * x[j];
    out[r] = s;
  }
}

struct LinearTask {
  int64_t batch, in_features, out_features;
  const float* input;
  const float* weight;
  const float* bias;
  float* output;
};

// Output features [block0*kRows, block1*kRows) for the whole batch: each block of weight rows is
// read once from memory and used for every image while it is in cache.
inline void linear_blocks(void* ctx, int64_t block0, int64_t block1, int /*thread_index*/) {
  const LinearTask& t = *static_cast<const LinearTask*>(ctx);
  for (int64_t blk = block0; blk < block1; ++blk) {
    const int64_t o0 = blk * kRows;
    const int64_t rows = imin(kRows, t.out_features - o0);
    for (int64_t b = 0; b < t.batch; ++b) {
      float dots[kRows];
      dot_rows(rows, t.in_features, t.weight + o0 * t.in_features, t.input + b * t.in_features,
               dots);
      float* out = t.output + b * t.out_features + o0;
      for (int64_t r = 0; r < rows; ++r) out[r] = dots[r] + (t.bias ? t.bias[o0 + r] : 0.0f);
    }
  }
}

// in_features >= 1.
inline void run(int64_t batch, int64_t in_features, int64_t out_features, const float* input,
                const float* weight, const float* bias, float* output, Parallel* parallel) {
  LinearTask t{batch, in_features, out_features, input, weight, bias, output};
  parallel_run(parallel, (out_features + kRows - 1) / kRows, linear_blocks, &t);
}

}  // namespace tvlite::kernels::TVLITE_LINEAR_NS

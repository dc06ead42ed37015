// Fast fully connected layer as dot products: each block of 4 weight rows is read once from
// memory and used for every image of the batch while it is in cache. At batch 1 (the common
// case) this is a matrix-vector product bound by streaming the weight.
#include <algorithm>
#include <cassert>
#include <cstring>

#include "tvlite/kernels/linear.h"

namespace tvlite::kernels {
namespace {

typedef float v4f __attribute__((vector_size(16)));

inline v4f load4(const float* p) {
  v4f v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline float hsum(v4f v) { return (v[0] + v[1]) + (v[2] + v[3]); }

constexpr int64_t kRows = 4;

// out[r] = dot(w + r*n, x) for r < rows (<= kRows).
void dot_rows(int64_t rows, int64_t n, const float* w, const float* x, float* out) {
  const float* wr[kRows];
  for (int64_t r = 0; r < kRows; ++r) wr[r] = w + std::min(r, rows - 1) * n;
  v4f acc[kRows][2] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const v4f x0 = load4(x + i), x1 = load4(x + i + 4);
    for (int64_t r = 0; r < kRows; ++r) {
      acc[r][0] += load4(wr[r] + i) * x0;
      acc[r][1] += load4(wr[r] + i + 4) * x1;
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

// Output features [block0*kRows, block1*kRows) for the whole batch.
void linear_blocks(void* ctx, int64_t block0, int64_t block1, int /*thread_index*/) {
  const LinearTask& t = *static_cast<const LinearTask*>(ctx);
  for (int64_t blk = block0; blk < block1; ++blk) {
    const int64_t o0 = blk * kRows;
    const int64_t rows = std::min(kRows, t.out_features - o0);
    for (int64_t b = 0; b < t.batch; ++b) {
      float dots[kRows];
      dot_rows(rows, t.in_features, t.weight + o0 * t.in_features, t.input + b * t.in_features,
               dots);
      float* out = t.output + b * t.out_features + o0;
      for (int64_t r = 0; r < rows; ++r) out[r] = dots[r] + (t.bias ? t.bias[o0 + r] : 0.0f);
    }
  }
}

}  // namespace

void linear_f32(int64_t batch, int64_t in_features, int64_t out_features, const float* input,
                const float* weight, const float* bias, float* output, Parallel* parallel) {
  assert(batch >= 0 && in_features >= 0 && out_features >= 0);
  if (in_features == 0) {
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t o = 0; o < out_features; ++o) output[b * out_features + o] = bias ? bias[o] : 0;
    }
    return;
  }
  LinearTask t{batch, in_features, out_features, input, weight, bias, output};
  parallel_run(parallel, (out_features + kRows - 1) / kRows, linear_blocks, &t);
}

}  // namespace tvlite::kernels

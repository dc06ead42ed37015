// Fast fully connected layer as dot products (linear_f32_impl.h): each block of weight rows is
// read once from memory and used for every image of the batch while it is in cache. At batch 1
// (the common case) this is a matrix-vector product bound by streaming the weight.
#include <cassert>

#include "tvlite/kernels/cpu.h"
#include "tvlite/kernels/linear.h"

#define TVLITE_LINEAR_NS linear_generic
#define TVLITE_LINEAR_LANES 4
#define TVLITE_LINEAR_ROWS 4
#include "linear_f32_impl.h"

namespace tvlite::kernels {

#if defined(TVLITE_KERNELS_HAVE_AVX2)
// x86/linear_f32__avx512f.cc
void linear_f32__avx512f(int64_t batch, int64_t in_features, int64_t out_features,
                         const float* input, const float* weight, const float* bias,
                         float* output, Parallel* parallel);
#endif

void linear_f32(int64_t batch, int64_t in_features, int64_t out_features, const float* input,
                const float* weight, const float* bias, float* output, Parallel* parallel) {
  assert(batch >= 0 && in_features >= 0 && out_features >= 0);
  if (in_features == 0) {
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t o = 0; o < out_features; ++o) output[b * out_features + o] = bias ? bias[o] : 0;
    }
    return;
  }
#if defined(TVLITE_KERNELS_HAVE_AVX2)
  static const bool avx512f = (cpu_features() & kCpuFeatureAvx512f) != 0;
  if (avx512f) {
    linear_f32__avx512f(batch, in_features, out_features, input, weight, bias, output, parallel);
    return;
  }
#endif
  linear_generic::run(batch, in_features, out_features, input, weight, bias, output, parallel);
}

}  // namespace tvlite::kernels

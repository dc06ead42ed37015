// The fully connected layer compiled for AVX-512F (this file only): the same code as the generic
// copy (generic/linear_f32_impl.h) with 16-float vectors and 8 rows per block. Called by
// linear_f32 only when cpu_features() reports AVX512F. AlexNet's fc6 at batch 1 (9216 -> 4096,
// 151 MB of weights): 19-24 GB/s with the generic copy, 23-27 with this one (Zen 4).
#define TVLITE_LINEAR_NS linear_avx512f
#define TVLITE_LINEAR_LANES 16
#define TVLITE_LINEAR_ROWS 8
#include "../generic/linear_f32_impl.h"

namespace tvlite::kernels {

void linear_f32__avx512f(int64_t batch, int64_t in_features, int64_t out_features,
                         const float* input, const float* weight, const float* bias,
                         float* output, Parallel* parallel) {
  linear_avx512f::run(batch, in_features, out_features, input, weight, bias, output, parallel);
}

}  // namespace tvlite::kernels

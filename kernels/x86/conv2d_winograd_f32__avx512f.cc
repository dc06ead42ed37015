// The Winograd convolution compiled for AVX-512F (this file only): the same code as the generic
// copy (generic/winograd_f32_impl.h), whose transforms vectorize 16 wide here. Called by
// conv2d_winograd_f32_epilogue only when cpu_features() reports AVX512F.
#define TVLITE_WINOGRAD_NS winograd_avx512f
#include "../generic/winograd_f32_impl.h"

namespace tvlite::kernels {

void conv2d_winograd_f32__avx512f(int tile, const Conv2dParams& p, int in_h, int in_w,
                               const float* input, const float* weight, const GemmEpilogue& ep,
                               float* output, void* scratch, Parallel* parallel) {
  if (tile == 2) {
    winograd_avx512f::run<2>(p, in_h, in_w, input, weight, ep, output, scratch, parallel);
  } else {
    winograd_avx512f::run<4>(p, in_h, in_w, input, weight, ep, output, scratch, parallel);
  }
}

}  // namespace tvlite::kernels

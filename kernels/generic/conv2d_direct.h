// The direct convolution's shared state (generic/conv2d_direct_f32.cc sets it up; the AVX-512
// tiles in x86/conv2d_direct_f32__avx512f.cc run it).
#pragma once
#include <cstdint>

#include "tvlite/kernels/conv2d.h"

namespace tvlite::kernels {

constexpr int kDirectOc = 32;    // output channels per tile: two zmm
constexpr int kDirectMaxR = 14;  // output pixels per tile (28 accumulators)

struct DirectConv {
  const Conv2dParams* p;
  int64_t out_h, out_w;
  int64_t hp, wp;  // the padded input's height and width
  int64_t k;       // C_in * kernel_h * kernel_w
  int64_t r;       // pixels per tile, min(out_w, kDirectMaxR)
  int64_t tiles_w; // tiles per output row
  const float* padded;  // [C_in][hp][wp], the input inside a zero border of pad_h / pad_w
  const float* packed;  // [blocks of 32 output channels][k][32], zero past C_out
  const GemmEpilogue* ep;
  float* output;
};

#if defined(TVLITE_KERNELS_HAVE_AVX2)
// Runs work items [begin, end) of t (a RangeFn over blocks x out_h x tiles_w).
void conv2d_direct_tiles__avx512f(void* ctx, int64_t begin, int64_t end, int thread);
#endif

}  // namespace tvlite::kernels

// 2-D convolution, NCHW, fp32, as torch.nn.Conv2d (padding is zeros).
#pragma once
#include <cstddef>
#include <cstdint>

#include "tvlite/kernels/gemm.h"
#include "tvlite/kernels/parallel.h"

namespace tvlite::kernels {

struct Conv2dParams {
  int in_channels = 0;   // C_in (total, all groups)
  int out_channels = 0;  // C_out (total, all groups)
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int pad_h = 0, pad_w = 0;
  int dilation_h = 1, dilation_w = 1;
  int groups = 1;
};

// floor((in + 2p - d(k-1) - 1) / s) + 1; returns <= 0 when the window does not fit.
inline int conv2d_output_size(int in, int kernel, int stride, int pad, int dilation) {
  const int64_t span = int64_t(dilation) * (kernel - 1) + 1;
  const int64_t avail = int64_t(in) + 2 * int64_t(pad) - span;
  if (avail < 0) return 0;
  return int(avail / stride + 1);
}

// The specification: a direct loop nest, no scratch.
// input: [C_in, in_h, in_w]; weight: [C_out, C_in/groups, kernel_h, kernel_w] (PyTorch layout);
// bias: [C_out] or null; output: [C_out, out_h, out_w]. One image; callers loop over the batch.
void conv2d_f32_ref(const Conv2dParams& p, int in_h, int in_w, const float* input,
                    const float* weight, const float* bias, float* output);

// Fast path (GEMM on the input, read as its im2col matrix without writing it). Same contract as the reference, plus:
// scratch: at least conv2d_f32_scratch_bytes(p, in_h, in_w, parallel_threads(parallel)) bytes,
// 64-byte aligned; may be null when that size is 0. Pointers need only natural float alignment.
size_t conv2d_f32_scratch_bytes(const Conv2dParams& p, int in_h, int in_w, int num_threads);
void conv2d_f32(const Conv2dParams& p, int in_h, int in_w, const float* input, const float* weight,
                const float* bias, float* output, void* scratch, Parallel* parallel);

// The convolution with a fused epilogue (gemm.h) over [C_out x out_h*out_w]: per output channel
// scale/shift, then residual [C_out, out_h, out_w] (ep.ldr = out_h*out_w; must not overlap
// output), then ReLU. No bias: a conv bias goes into shift. Used for Conv->BatchNorm(->Add)
// (->ReLU) chains, with batch norm folded as scale/shift so the weights stay untouched (zero-copy).
// The _ref version is the specification: conv2d_f32_ref without bias, then gemm_epilogue_f32_ref.
void conv2d_f32_epilogue_ref(const Conv2dParams& p, int in_h, int in_w, const float* input,
                             const float* weight, const GemmEpilogue& ep, float* output);
void conv2d_f32_epilogue(const Conv2dParams& p, int in_h, int in_w, const float* input,
                         const float* weight, const GemmEpilogue& ep, float* output,
                         void* scratch, Parallel* parallel);

// Winograd F(tile x tile, 3x3), tile 2 or 4 (conv2d_winograd_f32.cc), for what
// conv2d_winograd_supported() accepts: 3x3, stride 1, dilation 1, groups 1, pad <= 2. Same
// contract as conv2d_f32_epilogue, with its own scratch size. conv2d_f32_epilogue uses it where
// conv2d_winograd_tile() says so (0: not used); its rounding differs from the direct sum by
// a few ulps of the largest partial product (see the kernels' README).
bool conv2d_winograd_supported(const Conv2dParams& p);
int conv2d_winograd_tile(const Conv2dParams& p, int in_h, int in_w);
size_t conv2d_winograd_scratch_bytes(int tile, const Conv2dParams& p, int in_h, int in_w,
                                     int num_threads);
void conv2d_winograd_f32_epilogue(int tile, const Conv2dParams& p, int in_h, int in_w,
                                  const float* input, const float* weight, const GemmEpilogue& ep,
                                  float* output, void* scratch, Parallel* parallel);

// Direct convolution (conv2d_direct_f32.cc): no im2col; a padded conv's input copied into a zero
// border, and each thread's block of 32 output channels' weights repacked, in its own scratch.
// AVX-512F only, groups 1, stride_w 1, 2 or 4 (conv2d_direct_supported). conv2d_f32_epilogue
// uses it where conv2d_direct_applies() says so: convs with many output pixels per weight (a 1x1
// conv only up to 256 of them: past that the GEMM path wins) and rows of at least 4 pixels, on
// the default micro-kernel. Same contract as conv2d_f32_epilogue (scratch 64-byte aligned); the
// sum runs in k order per output, as the GEMM path's does.
bool conv2d_direct_supported(const Conv2dParams& p);
bool conv2d_direct_applies(const Conv2dParams& p, int in_h, int in_w);
size_t conv2d_direct_scratch_bytes(const Conv2dParams& p, int in_h, int in_w, int num_threads);
void conv2d_direct_f32_epilogue(const Conv2dParams& p, int in_h, int in_w, const float* input,
                                const float* weight, const GemmEpilogue& ep, float* output,
                                void* scratch, Parallel* parallel);

}  // namespace tvlite::kernels

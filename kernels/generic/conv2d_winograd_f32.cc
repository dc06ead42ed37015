// Winograd F(m x m, 3 x 3) convolution (Lavin & Gray, 2015) for 3x3, stride-1, dilation-1,
// ungrouped convolutions: each m x m output tile costs (m+2)^2 multiplies per channel pair
// instead of 9 m^2 (F(2,3): 16 vs 36; F(4,3): 36 vs 144). One image:
//   U[xi][co][ci] = (G g G^T)[xi]       the weights, transformed once per call into scratch
// then, for each block of kBlockTiles output tiles (the unit of parallel work, whose V and M
// stay in L2 on the thread that owns the block):
//   V[xi][ci][l]  = (B^T d B)[xi]       the block's input tiles d ((m+2)^2, zero-padded)
//   M[xi]         = U[xi] * V[xi]       (m+2)^2 GEMMs of [C_out x C_in] * [C_in x kBlockTiles]
//   y             = epilogue(A^T M A)   m x m outputs per tile, scale/shift/residual/ReLU
// The weights stay as the file holds them (zero-copy); rebuilding U costs C_out*C_in*(m+2)^2
// floats of scratch and a pass over the weights, which pays off only when the tiles are many
// (conv2d_winograd_tile).
#include <cassert>

#include "tvlite/kernels/conv2d.h"
#include "tvlite/kernels/cpu.h"

#define TVLITE_WINOGRAD_NS winograd_generic
#include "winograd_f32_impl.h"

namespace tvlite::kernels {

#if defined(TVLITE_KERNELS_HAVE_AVX2)
// x86/conv2d_winograd_f32__avx2.cc and x86/conv2d_winograd_f32__avx512f.cc
void conv2d_winograd_f32__avx2(int tile, const Conv2dParams& p, int in_h, int in_w,
                               const float* input, const float* weight, const GemmEpilogue& ep,
                               float* output, void* scratch, Parallel* parallel);
void conv2d_winograd_f32__avx512f(int tile, const Conv2dParams& p, int in_h, int in_w,
                                  const float* input, const float* weight,
                                  const GemmEpilogue& ep, float* output, void* scratch,
                                  Parallel* parallel);
#endif

bool conv2d_winograd_supported(const Conv2dParams& p) {
  return p.kernel_h == 3 && p.kernel_w == 3 && p.stride_h == 1 && p.stride_w == 1 &&
         p.dilation_h == 1 && p.dilation_w == 1 && p.groups == 1 && p.pad_h <= 2 &&
         p.pad_w <= 2;
}

int conv2d_winograd_tile(const Conv2dParams& p, int in_h, int in_w) {
#if defined(TVLITE_GEMM_BACKEND_OPENBLAS)
  // The OpenBLAS build compares GEMMs: every conv goes through im2col and cblas_sgemm.
  (void)p, (void)in_h, (void)in_w;
  return 0;
#endif
  if (!conv2d_winograd_supported(p) || p.in_channels < 16 || p.out_channels < 16) return 0;
  const int out_h = conv2d_output_size(in_h, 3, 1, p.pad_h, 1);
  const int out_w = conv2d_output_size(in_w, 3, 1, p.pad_w, 1);
  // Measured on ResNet's shapes (thread CPU time, AVX2 host, min of interleaved runs):
  // F(4,3) takes 0.48x the GEMM path's time at 64ch 56x56 and 0.53x at 128ch 28x28. At 14x14
  // (49 tiles of F(2,3), 16 of F(4,3)) the weight transform, C_out*C_in*(m+2)^2 floats per
  // call, weighs more: on that AVX2 host neither won (F(2,3) 3.6 ms, GEMM 3.3-3.9); on Zen 4
  // with AVX-512, F(2,3) takes 2.1-2.3 ms in ResNet-18 against the GEMM path's 2.6 (256ch).
  // Below 14x14 (AlexNet's 13x13: 0.9-1.2x, mixed) the GEMM path stays. Since the direct
  // convolution runs K in slices (AVX-512, conv2d_direct_applies), it beats F(2,3) at 14x14 on
  // Sapphire Rapids (2026-12-04, tvlite-bench --profile, 1 thread: 1.55-1.62 ms against 1.8-2.2
  // per 256-channel conv; resnet18 26.4-27.5 -> 25.7-26.1 ms, 4 interleaved pairs). Both need
  // AVX-512F, so F(2,3) now runs only where a non-default micro-kernel is forced
  // (TVLITE_GEMM_UKERNEL, as test_kernels_* do) or the output rows are too short for the direct
  // tiles; its kernel is tested directly (winograd_test).
  const int outputs = out_h * out_w;
  if (outputs >= 400) return 4;
#if defined(TVLITE_KERNELS_HAVE_AVX2)
  // Measured to win only with AVX-512 (a tie with AVX2, unmeasured on ARM).
  static const bool avx512f = (cpu_features() & kCpuFeatureAvx512f) != 0;
  if (avx512f && outputs >= 196 && !conv2d_direct_applies(p, in_h, in_w)) return 2;
#endif
  return 0;
}

size_t conv2d_winograd_scratch_bytes(int tile, const Conv2dParams& p, int in_h, int in_w,
                                     int num_threads) {
  assert(conv2d_winograd_supported(p) && num_threads >= 1);
  const size_t floats = tile == 2 ? winograd_generic::scratch_floats<2>(winograd_generic::geometry<2>(p, in_h, in_w), num_threads)
                                  : winograd_generic::scratch_floats<4>(winograd_generic::geometry<4>(p, in_h, in_w), num_threads);
  return (floats * sizeof(float) + 63) / 64 * 64;
}

void conv2d_winograd_f32_epilogue(int tile, const Conv2dParams& p, int in_h, int in_w,
                                  const float* input, const float* weight, const GemmEpilogue& ep,
                                  float* output, void* scratch, Parallel* parallel) {
  assert(conv2d_winograd_supported(p) && (tile == 2 || tile == 4));
  assert(ep.residual == nullptr || ep.ldr >= int64_t(conv2d_output_size(in_h, 3, 1, p.pad_h, 1)) *
                                                 conv2d_output_size(in_w, 3, 1, p.pad_w, 1));
#if defined(TVLITE_KERNELS_HAVE_AVX2)
  static const bool avx512f = (cpu_features() & kCpuFeatureAvx512f) != 0;
  static const bool avx2 = (cpu_features() & kCpuFeatureAvx2) != 0;
  if (avx512f) {
    conv2d_winograd_f32__avx512f(tile, p, in_h, in_w, input, weight, ep, output, scratch,
                                 parallel);
    return;
  }
  if (avx2) {
    conv2d_winograd_f32__avx2(tile, p, in_h, in_w, input, weight, ep, output, scratch, parallel);
    return;
  }
#endif
  if (tile == 2) {
    winograd_generic::run<2>(p, in_h, in_w, input, weight, ep, output, scratch, parallel);
  } else {
    winograd_generic::run<4>(p, in_h, in_w, input, weight, ep, output, scratch, parallel);
  }
}

}  // namespace tvlite::kernels

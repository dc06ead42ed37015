// Direct convolution (x86/conv2d_direct_f32__avx512f.cc has the tiles): the input is copied
// once into a zero border, the weights are repacked once per call into blocks of 32 output
// channels, and every output pixel is then a sum of broadcast input values times weight
// vectors, with no im2col panel. ResNet's stem and AlexNet's first two convs, whose im2col
// packing (strided, padded, K = 147 to 1600) was a quarter of their time on the GEMM path.
#include <algorithm>
#include <cassert>
#include <cstring>

#include "tvlite/kernels/conv2d.h"
#include "tvlite/kernels/cpu.h"
#include "tvlite/kernels/gemm_microkernel.h"
#include "conv2d_direct.h"

namespace tvlite::kernels {
namespace {

// Output pixels per weight below which repacking the weights each call costs more than the
// im2col packing it saves (the repack reads and writes every weight once). Measured in the
// models (tvlite-bench --profile, 1 thread, Zen 4): at 784 to 12544 outputs the direct path took
// 0.80-0.92x the GEMM path's time (stem 2.92 -> 2.37 ms, ResNet-18's layer2.0.conv1 1.32 ->
// 1.14, AlexNet's first two 1.76 -> 1.43 and 4.78 -> 4.45); at 169 and 196 (AlexNet's 13x13
// convs, layer3.0.conv1) it was 1.00-1.13x, so those stay GEMMs.
constexpr int64_t kDirectMinOutputs = 512;

struct Geometry {
  int64_t out_h, out_w, hp, wp, k, blocks;
};

Geometry geometry(const Conv2dParams& p, int in_h, int in_w) {
  Geometry g;
  g.out_h = conv2d_output_size(in_h, p.kernel_h, p.stride_h, p.pad_h, p.dilation_h);
  g.out_w = conv2d_output_size(in_w, p.kernel_w, p.stride_w, p.pad_w, p.dilation_w);
  g.hp = int64_t(in_h) + 2 * int64_t(p.pad_h);
  g.wp = int64_t(in_w) + 2 * int64_t(p.pad_w);
  g.k = int64_t(p.in_channels) * p.kernel_h * p.kernel_w;
  g.blocks = (int64_t(p.out_channels) + kDirectOc - 1) / kDirectOc;
  return g;
}

size_t padded_floats(const Conv2dParams& p, const Geometry& g) {
  return (size_t(p.in_channels) * size_t(g.hp) * size_t(g.wp) + 15) / 16 * 16;
}

struct PadTask {
  const Conv2dParams* p;
  int in_h, in_w;
  const Geometry* g;
  const float* input;
  float* padded;
};

void pad_channels(void* ctx, int64_t c0, int64_t c1, int /*thread*/) {
  const PadTask& t = *static_cast<const PadTask*>(ctx);
  const Geometry& g = *t.g;
  const int ph = t.p->pad_h, pw = t.p->pad_w;
  for (int64_t c = c0; c < c1; ++c) {
    float* dst = t.padded + c * g.hp * g.wp;
    const float* src = t.input + c * t.in_h * t.in_w;
    std::memset(dst, 0, sizeof(float) * size_t(ph) * size_t(g.wp));
    for (int y = 0; y < t.in_h; ++y) {
      float* row = dst + (ph + int64_t(y)) * g.wp;
      std::memset(row, 0, sizeof(float) * size_t(pw));
      std::memcpy(row + pw, src + int64_t(y) * t.in_w, sizeof(float) * size_t(t.in_w));
      std::memset(row + pw + t.in_w, 0, sizeof(float) * size_t(pw));
    }
    std::memset(dst + (ph + int64_t(t.in_h)) * g.wp, 0, sizeof(float) * size_t(ph) * size_t(g.wp));
  }
}

struct PackTask {
  const Conv2dParams* p;
  const Geometry* g;
  const float* weight;
  float* packed;
};

// Blocks [b0, b1) of the weights: packed[b][k][o] = weight[32 b + o][k], zero past C_out.
void pack_blocks(void* ctx, int64_t b0, int64_t b1, int /*thread*/) {
  const PackTask& t = *static_cast<const PackTask*>(ctx);
  const int64_t k = t.g->k;
  for (int64_t b = b0; b < b1; ++b) {
    float* dst = t.packed + b * k * kDirectOc;
    const int64_t n = std::min<int64_t>(kDirectOc, t.p->out_channels - b * kDirectOc);
    for (int64_t o = 0; o < n; ++o) {
      const float* src = t.weight + (b * kDirectOc + o) * k;
      for (int64_t i = 0; i < k; ++i) dst[i * kDirectOc + o] = src[i];
    }
    for (int64_t o = n; o < kDirectOc; ++o) {
      for (int64_t i = 0; i < k; ++i) dst[i * kDirectOc + o] = 0.0f;
    }
  }
}

}  // namespace

bool conv2d_direct_supported(const Conv2dParams& p) {
#if defined(TVLITE_KERNELS_HAVE_AVX2) && !defined(TVLITE_GEMM_BACKEND_OPENBLAS)
  static const bool avx512f = (cpu_features() & kCpuFeatureAvx512f) != 0;
  return avx512f && p.groups == 1 && p.in_channels >= 1 && p.out_channels >= 1 &&
         (p.stride_w == 1 || p.stride_w == 2 || p.stride_w == 4) && p.kernel_h >= 1 &&
         p.kernel_w >= 1;
#else
  (void)p;
  return false;  // the tiles are AVX-512F only; the OpenBLAS build compares GEMMs
#endif
}

bool conv2d_direct_applies(const Conv2dParams& p, int in_h, int in_w) {
  if (!conv2d_direct_supported(p) || p.kernel_h * p.kernel_w == 1) return false;
  // Only with the default AVX-512 micro-kernel: a forced other one (TVLITE_GEMM_UKERNEL) keeps
  // the GEMM path it asks for.
  const GemmUkernel& uk = gemm_f32_ukernel_default();
  if (uk.mr != 12 || uk.nr != 32) return false;
  const Geometry g = geometry(p, in_h, in_w);
  return g.out_h > 0 && g.out_w > 0 && g.out_h * g.out_w >= kDirectMinOutputs;
}

size_t conv2d_direct_scratch_bytes(const Conv2dParams& p, int in_h, int in_w) {
  const Geometry g = geometry(p, in_h, in_w);
  const size_t floats = padded_floats(p, g) + size_t(g.blocks) * size_t(g.k) * kDirectOc;
  return floats * sizeof(float);
}

void conv2d_direct_f32_epilogue(const Conv2dParams& p, int in_h, int in_w, const float* input,
                                const float* weight, const GemmEpilogue& ep, float* output,
                                void* scratch, Parallel* parallel) {
  assert(conv2d_direct_supported(p) && scratch != nullptr);
  const Geometry g = geometry(p, in_h, in_w);
  if (g.out_h <= 0 || g.out_w <= 0) return;
  float* padded = static_cast<float*>(scratch);
  float* packed = padded + padded_floats(p, g);
  PadTask pt{&p, in_h, in_w, &g, input, padded};
  parallel_run(parallel, p.in_channels, pad_channels, &pt);
  PackTask kt{&p, &g, weight, packed};
  parallel_run(parallel, g.blocks, pack_blocks, &kt);
  DirectConv t;
  t.p = &p;
  t.out_h = g.out_h, t.out_w = g.out_w, t.hp = g.hp, t.wp = g.wp, t.k = g.k;
  t.r = std::min<int64_t>(g.out_w, kDirectMaxR);
  t.tiles_w = (g.out_w + t.r - 1) / t.r;
  t.padded = padded, t.packed = packed, t.ep = &ep, t.output = output;
#if defined(TVLITE_KERNELS_HAVE_AVX2)
  parallel_run(parallel, g.blocks * g.out_h * t.tiles_w, conv2d_direct_tiles__avx512f, &t);
#else
  (void)t;
#endif
}

}  // namespace tvlite::kernels

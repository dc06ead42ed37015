// Direct convolution (x86/conv2d_direct_f32__avx512f.cc has the tiles and the weight repack):
// every output pixel a sum of broadcast input values times vectors of 32 output channels'
// weights, with no im2col panel and no tail of pixels. A padded conv reads a zero-bordered copy
// of its input, made once per call; an unpadded one reads the input in place.
#include <algorithm>
#include <cassert>
#include <cstdint>
#include <cstring>

#include "tvlite/kernels/conv2d.h"
#include "tvlite/kernels/cpu.h"
#include "tvlite/kernels/gemm_microkernel.h"
#include "conv2d_direct.h"

namespace tvlite::kernels {
namespace {

// Output pixels below which a block's repack (K x 32 weights, read from where the file holds them)
// costs more than the tiles it serves save. First measured on Zen 4 at 128 (tvlite-bench
// --profile, 1 thread, against the GEMM path: ResNet's stem 2.92 -> 2.37 ms, ResNet-50's 14x14
// 1x1 convs 1.17-1.20 -> 0.98-1.02, AlexNet's 13x13 convs 2.48 / 3.42 / 2.25 -> 2.15 / 2.92 /
// 1.90, its 5x5 conv 4.45 -> 4.10; the 7x7 stage then 1.08-1.22x slower, its 3x3 conv's block
// of 590 KB streamed from L2 by each of 7 tiles). Since few tiles run K in slices that stay in L1
// (kDirectSliceTiles), the 7x7 stage (49 outputs) wins too, on Sapphire Rapids (2026-12-04,
// resnet50): its 3x3 convs 3.07-3.30 -> 2.25-2.48 ms, 512 -> 2048 1x1 1.54-1.61 -> 1.35-1.37,
// the strided 1024 -> 2048 downsample 2.87 -> 2.65, 2048 -> 512 1x1 even (1.19-1.21).
constexpr int64_t kDirectMinOutputs = 40;
// Output pixels above which a 1x1 conv (any stride) keeps the GEMM path: a tile reads its R
// pixels from every input channel, so each block of 32 output channels streams the whole input
// through 2 x cin scattered lines per tile, where the GEMM packs it once per panel. Measured in
// the models (tvlite-bench --profile, 1 thread, Sapphire Rapids, 2026-12-04, direct against
// GEMM): ResNet-50's 56x56 1x1 convs 1.21-2.54 against 0.98-1.34 ms, its 28x28 ones 0.86-2.67
// against 0.73-1.82, resnet18's 28x28 downsample 0.20 against 0.16; at 14x14 (196) direct
// still wins (0.83-0.90 against 0.92-1.00, layer4.0.conv1 1.66 against 1.83).
constexpr int64_t kDirectMaxPointwiseOutputs = 256;
// Pixels per tile below which the GEMM path wins (a tile of 1-3 pixels loads each k's 32 weights
// for 2-6 FMAs). Measured by a review (1 thread, Sapphire Rapids, 3x3 pad 1, direct against
// GEMM): 256 -> 256 with 64x1 outputs 1.42 against 1.01 ms, 512 -> 512 40x1 3.81 against 2.25,
// 256 -> 256 20x3 0.99 against 0.69; 128 -> 128 28x4 0.28 against 0.40 (direct wins).
constexpr int64_t kDirectMinTilePixels = 4;

bool linear(const Conv2dParams& p) {  // one long row (see DirectConv)
  return p.kernel_h == 1 && p.kernel_w == 1 && p.stride_h == 1 && p.stride_w == 1 &&
         p.pad_h == 0 && p.pad_w == 0;
}

bool padded(const Conv2dParams& p) { return p.pad_h > 0 || p.pad_w > 0; }

// Pixels per tile for rows of n: n itself when short, else the R in [kDirectMinR, kDirectMaxR]
// with the least cost, counting each tile as R + kTileCost pixels (a tile's fixed cost: its
// weights loaded once per k for all its pixels, its epilogue), the larger R on a tie. Fewer,
// longer tiles pay even with a few pixels computed twice (the last tile overlaps): ResNet-50's
// 49-pixel 1x1 convs in 4 tiles of 13 instead of 7 of 7 take 1.14-1.29 ms instead of 1.22-1.43
// (Sapphire Rapids, tvlite-bench --profile), 10 wide were in between (1.18-1.36).
constexpr int64_t kTileCost = 3;
int64_t pixels_per_tile(int64_t n) {
  if (n <= kDirectMaxR) return n;
  int64_t best = kDirectMaxR;
  int64_t cost = (n + kDirectMaxR - 1) / kDirectMaxR * (kDirectMaxR + kTileCost);
  for (int64_t r = kDirectMaxR - 1; r >= kDirectMinR; --r) {
    const int64_t c = (n + r - 1) / r * (r + kTileCost);
    if (c < cost) best = r, cost = c;
  }
  return best;
}

void geometry(const Conv2dParams& p, int in_h, int in_w, DirectConv& g) {
  g.cin = p.in_channels, g.cout = p.out_channels;
  g.kh = p.kernel_h, g.kw = p.kernel_w, g.sh = p.stride_h, g.sw = p.stride_w;
  g.dh = p.dilation_h, g.dw = p.dilation_w;
  g.out_h = conv2d_output_size(in_h, p.kernel_h, p.stride_h, p.pad_h, p.dilation_h);
  g.out_w = conv2d_output_size(in_w, p.kernel_w, p.stride_w, p.pad_w, p.dilation_w);
  g.hp = int64_t(in_h) + 2 * int64_t(p.pad_h);
  g.wp = int64_t(in_w) + 2 * int64_t(p.pad_w);
  if (linear(p)) {
    g.out_w *= g.out_h, g.out_h = 1;
    g.wp *= g.hp, g.hp = 1;
  }
  g.k = g.cin * g.kh * g.kw;
  g.blocks = (g.cout + kDirectOc - 1) / kDirectOc;
  g.r = pixels_per_tile(g.out_w);
  g.tiles_w = g.out_w > 0 ? (g.out_w + g.r - 1) / g.r : 0;
}

size_t padded_floats(const Conv2dParams& p, const DirectConv& g) {
  return padded(p) ? (size_t(g.cin) * size_t(g.hp) * size_t(g.wp) + 15) / 16 * 16 : 0;
}

struct PadTask {
  const Conv2dParams* p;
  int in_h, in_w;
  const DirectConv* g;
  const float* input;
  float* padded;
};

void pad_channels(void* ctx, int64_t c0, int64_t c1, int /*thread*/) {
  const PadTask& t = *static_cast<const PadTask*>(ctx);
  const DirectConv& g = *t.g;
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
  if (!conv2d_direct_supported(p)) return false;
  // Only with the default AVX-512 micro-kernel: a forced other one (TVLITE_GEMM_UKERNEL) keeps
  // the GEMM path it asks for.
  const GemmUkernel& uk = gemm_f32_ukernel_default();
  if (uk.mr != 12 || uk.nr != 32) return false;
  DirectConv g;
  geometry(p, in_h, in_w, g);
  const int64_t outputs = g.out_h * g.out_w;
  if (p.kernel_h == 1 && p.kernel_w == 1 && outputs > kDirectMaxPointwiseOutputs) return false;
  return g.out_h > 0 && g.out_w > 0 && outputs >= kDirectMinOutputs && g.r >= kDirectMinTilePixels;
}

size_t conv2d_direct_scratch_bytes(const Conv2dParams& p, int in_h, int in_w, int num_threads) {
  DirectConv g;
  geometry(p, in_h, in_w, g);
  const size_t per_thread = size_t(g.k) * kDirectOc + size_t(kDirectPartialFloats);
  return (padded_floats(p, g) + size_t(std::max(1, num_threads)) * per_thread) * sizeof(float);
}

void conv2d_direct_f32_epilogue(const Conv2dParams& p, int in_h, int in_w, const float* input,
                                const float* weight, const GemmEpilogue& ep, float* output,
                                void* scratch, Parallel* parallel) {
  assert(conv2d_direct_supported(p) && scratch != nullptr);
  assert(reinterpret_cast<uintptr_t>(scratch) % 64 == 0);  // the tiles' aligned loads and stores
  DirectConv t;
  geometry(p, in_h, in_w, t);
  assert(ep.residual == nullptr || ep.ldr >= t.out_h * t.out_w);
  if (t.out_h <= 0 || t.out_w <= 0) return;
  float* pad = static_cast<float*>(scratch);
  t.input = input;
  if (padded(p)) {
    PadTask pt{&p, in_h, in_w, &t, input, pad};
    parallel_run(parallel, t.cin, pad_channels, &pt);
    t.input = pad;
  }
  t.packed = pad + padded_floats(p, t);
  t.weight = weight, t.ep = &ep, t.output = output;
  // About 4 work items per thread in all (each block's tiles in parts when the blocks are fewer),
  // so that a thread slowed by a neighbour on a shared machine takes fewer; a thread repacks a
  // block only when it moves to it.
  const int threads = parallel_threads(parallel);
  const int64_t tiles = t.out_h * t.tiles_w;
  t.parts =
      threads <= 1 ? 1 : std::min<int64_t>(tiles, std::max<int64_t>(1, 4 * threads / t.blocks));
  t.per_thread = t.k * kDirectOc + kDirectPartialFloats;
  const int64_t taps = t.kh * t.kw, per_part = (tiles + t.parts - 1) / t.parts;
  t.slice_ci = per_part <= kDirectSliceTiles && t.k > kDirectSliceK
                   ? std::max<int64_t>(1, kDirectSliceK / taps)
                   : t.cin;
#if defined(TVLITE_KERNELS_HAVE_AVX2)
  parallel_run(parallel, std::min<int64_t>(threads, t.blocks * t.parts), conv2d_direct_run__avx512f,
               &t);
#endif
}

}  // namespace tvlite::kernels

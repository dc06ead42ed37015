// Direct convolution, AVX-512F: the output is computed R pixels of one output row x 32 output
// channels at a time (28 zmm accumulators for R = 14), each input value broadcast from a
// zero-padded copy of the input and multiplied by a vector of 32 output channels' weights. The
// GEMM path's roles transposed: no im2col panel is packed (the input is read where it lies, at
// the conv's stride), and the weights are repacked once per call as [block of 32][K][32]
// (K = C_in kh kw), which only convs with many output pixels per weight amortize
// (conv2d_direct_applies in generic/conv2d_direct_f32.cc).
// The tile's 32 x R results are turned pixel-major in registers (two 16 x 16 transposes) and
// written back to NCHW, R pixels per channel, with the epilogue (scale/shift, residual, ReLU) in the micro-kernel's
// order. A row's last tile starts at out_w - R (it overlaps the one before, and rewrites the
// same values), so every tile is whole.
// Compiled with -mavx512f for this file only; called only when cpu_features() has AVX512F.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // _mm512_max_ps's pass-through (unread)
#endif
#include <immintrin.h>

#include <cassert>
#include <cstdint>

#include "../generic/conv2d_direct.h"

namespace tvlite::kernels {
namespace {

inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }

// x[i][j] <- x[j][i] for a 16 x 16 block: pairs of rows interleaved, then quadruples, then
// 128-bit lanes twice (64 shuffles; the 16 gathers per block they replace took a fifth of the
// stem's time).
// The zero-masked forms, all lanes kept: GCC 12's unmasked ones pass an undefined vector that
// -Wuninitialized reports.
inline void transpose16(__m512 (&x)[16]) {
  constexpr __mmask16 kAll = 0xffff;
  __m512 a[16], b[16];
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) {
    a[2 * i] = _mm512_maskz_unpacklo_ps(kAll, x[2 * i], x[2 * i + 1]);
    a[2 * i + 1] = _mm512_maskz_unpackhi_ps(kAll, x[2 * i], x[2 * i + 1]);
  }
  // b[4 g + c], 128-bit lane L: rows 4 g .. 4 g + 3 of column 4 L + c.
#pragma GCC unroll 4
  for (int g = 0; g < 4; ++g) {
    b[4 * g + 0] = _mm512_maskz_shuffle_ps(kAll, a[4 * g], a[4 * g + 2], 0x44);
    b[4 * g + 1] = _mm512_maskz_shuffle_ps(kAll, a[4 * g], a[4 * g + 2], 0xEE);
    b[4 * g + 2] = _mm512_maskz_shuffle_ps(kAll, a[4 * g + 1], a[4 * g + 3], 0x44);
    b[4 * g + 3] = _mm512_maskz_shuffle_ps(kAll, a[4 * g + 1], a[4 * g + 3], 0xEE);
  }
#pragma GCC unroll 4
  for (int c = 0; c < 4; ++c) {
    const __m512 e0 = _mm512_maskz_shuffle_f32x4(kAll, b[c], b[4 + c], 0x88);
    const __m512 e1 = _mm512_maskz_shuffle_f32x4(kAll, b[c], b[4 + c], 0xDD);
    const __m512 f0 = _mm512_maskz_shuffle_f32x4(kAll, b[8 + c], b[12 + c], 0x88);
    const __m512 f1 = _mm512_maskz_shuffle_f32x4(kAll, b[8 + c], b[12 + c], 0xDD);
    x[c] = _mm512_maskz_shuffle_f32x4(kAll, e0, f0, 0x88);
    x[4 + c] = _mm512_maskz_shuffle_f32x4(kAll, e1, f1, 0x88);
    x[8 + c] = _mm512_maskz_shuffle_f32x4(kAll, e0, f0, 0xDD);
    x[12 + c] = _mm512_maskz_shuffle_f32x4(kAll, e1, f1, 0xDD);
  }
}

// R output pixels (ox0 .. ox0 + R - 1 of row oy) x the 32 channels of block ob.
template <int R, int SX>
void tile(const DirectConv& t, int64_t ob, int64_t oy, int64_t ox0) {
  const Conv2dParams& p = *t.p;
  __m512 acc[R][2];
#pragma GCC unroll 14
  for (int j = 0; j < R; ++j) acc[j][0] = acc[j][1] = _mm512_setzero_ps();
  const float* w = t.packed + ob * t.k * kDirectOc;
  for (int64_t ci = 0; ci < p.in_channels; ++ci) {
    const float* plane = t.padded + ci * t.hp * t.wp + oy * p.stride_h * t.wp + ox0 * SX;
    for (int ky = 0; ky < p.kernel_h; ++ky) {
      const float* row = plane + int64_t(ky) * p.dilation_h * t.wp;
      for (int kx = 0; kx < p.kernel_w; ++kx, w += kDirectOc) {
        const float* x = row + int64_t(kx) * p.dilation_w;
        const __m512 w0 = _mm512_load_ps(w), w1 = _mm512_load_ps(w + 16);
#pragma GCC unroll 14
        for (int j = 0; j < R; ++j) {
          const __m512 v = _mm512_set1_ps(x[j * SX]);
          acc[j][0] = _mm512_fmadd_ps(v, w0, acc[j][0]);
          acc[j][1] = _mm512_fmadd_ps(v, w1, acc[j][1]);
        }
      }
    }
  }
  const __mmask16 mask = __mmask16((1u << R) - 1u);
  const GemmEpilogue& ep = *t.ep;
  const int64_t out_hw = t.out_h * t.out_w, at = oy * t.out_w + ox0;
  const int64_t oc0 = ob * kDirectOc, n_oc = imin(kDirectOc, p.out_channels - oc0);
#pragma GCC unroll 2
  for (int v = 0; v < 2; ++v) {
    __m512 x[16];
#pragma GCC unroll 16
    for (int j = 0; j < 16; ++j) x[j] = j < R ? acc[j < R ? j : 0][v] : _mm512_setzero_ps();
    transpose16(x);  // x[o]: channel 16 v + o of the R pixels
    const int64_t n = imin(16, n_oc - 16 * v);
#pragma GCC unroll 16
    for (int o = 0; o < 16; ++o) {
      if (o >= n) break;
      const int64_t co = oc0 + 16 * v + o;
      __m512 y = _mm512_fmadd_ps(x[o], _mm512_set1_ps(ep.scale != nullptr ? ep.scale[co] : 1.0f),
                                 _mm512_set1_ps(ep.shift != nullptr ? ep.shift[co] : 0.0f));
      if (ep.residual != nullptr) {
        y = _mm512_add_ps(y, _mm512_maskz_loadu_ps(mask, ep.residual + co * ep.ldr + at));
      }
      // max(y, 0) returns its second operand (0) when y is NaN, as relu_f32_ref does.
      if (ep.relu) y = _mm512_max_ps(y, _mm512_setzero_ps());
      _mm512_mask_storeu_ps(t.output + co * out_hw + at, mask, y);
    }
  }
}

template <int SX>
void tile_r(int r, const DirectConv& t, int64_t ob, int64_t oy, int64_t ox0) {
  switch (r) {
#define TVLITE_DIRECT_R(R) \
  case R:                  \
    return tile<R, SX>(t, ob, oy, ox0);
    TVLITE_DIRECT_R(1)
    TVLITE_DIRECT_R(2)
    TVLITE_DIRECT_R(3)
    TVLITE_DIRECT_R(4)
    TVLITE_DIRECT_R(5)
    TVLITE_DIRECT_R(6)
    TVLITE_DIRECT_R(7)
    TVLITE_DIRECT_R(8)
    TVLITE_DIRECT_R(9)
    TVLITE_DIRECT_R(10)
    TVLITE_DIRECT_R(11)
    TVLITE_DIRECT_R(12)
    TVLITE_DIRECT_R(13)
    TVLITE_DIRECT_R(14)
#undef TVLITE_DIRECT_R
    default:
      assert(false);
  }
}

}  // namespace

// Work items [begin, end): item i is block i / (out_h tiles_w), then row, then tile.
void conv2d_direct_tiles__avx512f(void* ctx, int64_t begin, int64_t end, int /*thread*/) {
  const DirectConv& t = *static_cast<const DirectConv*>(ctx);
  const int64_t per_block = t.out_h * t.tiles_w;
  for (int64_t i = begin; i < end; ++i) {
    const int64_t ob = i / per_block, oy = (i % per_block) / t.tiles_w, tx = i % t.tiles_w;
    const int64_t ox0 = imin(tx * t.r, t.out_w - t.r);
    switch (t.p->stride_w) {
      case 1:
        tile_r<1>(t.r, t, ob, oy, ox0);
        break;
      case 2:
        tile_r<2>(t.r, t, ob, oy, ox0);
        break;
      default:
        tile_r<4>(t.r, t, ob, oy, ox0);
        break;
    }
  }
}

}  // namespace tvlite::kernels

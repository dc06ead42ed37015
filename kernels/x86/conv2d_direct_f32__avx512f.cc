// Direct convolution, AVX-512F: the output is computed R pixels of one output row x 32 output
// channels at a time (28 zmm accumulators for R = 14), each input value broadcast from the input
// (or its zero-padded copy) and multiplied by a vector of 32 output channels' weights. The GEMM
// path's roles transposed: no im2col panel is packed (the input is read where it lies, at the
// conv's stride), and every row of the output is whole vectors of channels, so no shape leaves a
// tail of pixels (the GEMM path's N = 49, 169 and 196 ran part of their columns in narrower
// tiles). Each thread repacks one block of 32 output channels' weights at a time into its own
// buffer as [k][32], 16 x 16 transposes of the rows the file holds: the block stays in L2 while
// the thread runs its tiles, or, for a work item of few tiles, K is repacked and run a slice of
// ~256 at a time (in L1), the tiles' partial sums kept between slices.
// The tile's 32 x R results are turned pixel-major in registers (two 16 x 16 transposes) and
// written back to NCHW, R pixels per channel, with the epilogue (scale/shift, residual, ReLU) in
// the micro-kernel's order. A row's last tile starts at out_w - R (it overlaps the one before)
// so every tile is whole; it stores only the pixels the one before did not (the two may run on
// different threads).
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

// Which part of K a tile runs, and where its partial sums wait between slices.
struct Slice {
  int64_t ci0, ci1;  // input channels; packed holds exactly their weights
  float* partial;    // this tile's R x 32 sums: read unless first, written unless last
  bool first, last;
  int skip;          // leading pixels the row's previous tile stores (a last, overlapping tile)
};

// R output pixels (ox0 .. ox0 + R - 1 of row oy) x the 32 channels of block ob, over the input
// channels of slice s.
template <int R, int SX>
void tile(const DirectConv& t, const float* packed, int64_t ob, int64_t oy, int64_t ox0,
          const Slice& s) {
  __m512 acc[R][2];
  if (s.first) {
#pragma GCC unroll 14
    for (int j = 0; j < R; ++j) acc[j][0] = acc[j][1] = _mm512_setzero_ps();
  } else {
#pragma GCC unroll 14
    for (int j = 0; j < R; ++j) {
      acc[j][0] = _mm512_load_ps(s.partial + j * kDirectOc);
      acc[j][1] = _mm512_load_ps(s.partial + j * kDirectOc + 16);
    }
  }
  const float* w = packed;
  for (int64_t ci = s.ci0; ci < s.ci1; ++ci) {
    const float* plane = t.input + (ci * t.hp + oy * t.sh) * t.wp + ox0 * SX;
    for (int64_t ky = 0; ky < t.kh; ++ky) {
      const float* row = plane + ky * t.dh * t.wp;
      for (int64_t kx = 0; kx < t.kw; ++kx, w += kDirectOc) {
        const float* x = row + kx * t.dw;
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
  if (!s.last) {
#pragma GCC unroll 14
    for (int j = 0; j < R; ++j) {
      _mm512_store_ps(s.partial + j * kDirectOc, acc[j][0]);
      _mm512_store_ps(s.partial + j * kDirectOc + 16, acc[j][1]);
    }
    return;
  }
  const __mmask16 mask = __mmask16(((1u << R) - 1u) & ~((1u << s.skip) - 1u));
  const GemmEpilogue& ep = *t.ep;
  const int64_t out_hw = t.out_h * t.out_w, at = oy * t.out_w + ox0;
  const int64_t oc0 = ob * kDirectOc, n_oc = imin(kDirectOc, t.cout - oc0);
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
void tile_r(int r, const DirectConv& t, const float* packed, int64_t ob, int64_t oy, int64_t ox0,
            const Slice& s) {
  switch (r) {
#define TVLITE_DIRECT_R(R) \
  case R:                  \
    return tile<R, SX>(t, packed, ob, oy, ox0, s);
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

// Block ob of the weights at k in [kb, ke) into packed[k - kb][32] (zero past cout): 16 k of 16
// rows at a time, transposed in registers.
void pack_block(const DirectConv& t, int64_t ob, int64_t kb, int64_t ke, float* packed) {
  for (int h = 0; h < 2; ++h) {
    const int64_t o0 = ob * kDirectOc + 16 * h;
    const int64_t rows = imin(16, t.cout - o0);
    for (int64_t k0 = kb; k0 < ke; k0 += 16) {
      const int64_t n = imin(16, ke - k0);
      const __mmask16 m = __mmask16((1u << n) - 1u);
      __m512 x[16];
#pragma GCC unroll 16
      for (int i = 0; i < 16; ++i) {
        x[i] = i < rows ? _mm512_maskz_loadu_ps(m, t.weight + (o0 + i) * t.k + k0)
                        : _mm512_setzero_ps();
      }
      transpose16(x);  // x[j]: the 16 rows' weights at k0 + j
      float* dst = packed + (k0 - kb) * kDirectOc + 16 * h;
      for (int64_t j = 0; j < n; ++j) _mm512_store_ps(dst + j * kDirectOc, x[j]);
    }
  }
}

// Tiles [i0, i1) of the output, row by row, over the input channels of slice s; tile i's partial
// sums at s.partial + (i - i0) * R * 32.
template <int SX>
void run_tiles(const DirectConv& t, const float* packed, int64_t ob, int64_t i0, int64_t i1,
               Slice s) {
  float* const partial = s.partial;
  for (int64_t i = i0; i < i1; ++i) {
    const int64_t oy = i / t.tiles_w, tx = i % t.tiles_w;
    const int64_t ox0 = imin(tx * t.r, t.out_w - t.r);
    s.partial = partial + (i - i0) * t.r * kDirectOc;
    s.skip = int(tx * t.r - ox0);
    tile_r<SX>(int(t.r), t, packed, ob, oy, ox0, s);
  }
}

template <int SX>
void run_item(const DirectConv& t, float* packed, float* partial, int64_t ob, int64_t i0,
              int64_t i1, int64_t* have) {
  const int64_t taps = t.kh * t.kw;
  if (t.slice_ci >= t.cin) {  // one slice: the whole block, kept while the thread stays on it
    if (ob != *have) pack_block(t, ob, 0, t.k, packed);
    *have = ob;
    run_tiles<SX>(t, packed, ob, i0, i1, Slice{0, t.cin, nullptr, true, true, 0});
    return;
  }
  assert(i1 - i0 <= kDirectSliceTiles);
  *have = -1;
  for (int64_t ci0 = 0; ci0 < t.cin; ci0 += t.slice_ci) {
    const int64_t ci1 = imin(t.cin, ci0 + t.slice_ci);
    pack_block(t, ob, ci0 * taps, ci1 * taps, packed);
    run_tiles<SX>(t, packed, ob, i0, i1, Slice{ci0, ci1, partial, ci0 == 0, ci1 == t.cin, 0});
  }
}

}  // namespace

void conv2d_direct_run__avx512f(void* ctx, int64_t /*begin*/, int64_t /*end*/, int thread) {
  DirectConv& t = *static_cast<DirectConv*>(ctx);
  float* packed = t.packed + thread * t.per_thread;
  float* partial = packed + t.k * kDirectOc;
  const int64_t items = t.blocks * t.parts;
  const int64_t tiles = t.out_h * t.tiles_w, per_part = (tiles + t.parts - 1) / t.parts;
  int64_t have = -1;  // the block in packed
  for (int64_t item = t.next.fetch_add(1, std::memory_order_relaxed); item < items;
       item = t.next.fetch_add(1, std::memory_order_relaxed)) {
    const int64_t ob = item / t.parts, part = item % t.parts;
    const int64_t i0 = part * per_part, i1 = imin(tiles, i0 + per_part);
    if (i0 >= i1) continue;
    switch (t.sw) {
      case 1:
        run_item<1>(t, packed, partial, ob, i0, i1, &have);
        break;
      case 2:
        run_item<2>(t, packed, partial, ob, i0, i1, &have);
        break;
      default:
        run_item<4>(t, packed, partial, ob, i0, i1, &have);
        break;
    }
  }
}

}  // namespace tvlite::kernels

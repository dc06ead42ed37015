// The Winograd F(m x m, 3x3) convolution's implementation (see conv2d_winograd_f32.cc), included
// once per instruction set: by generic/conv2d_winograd_f32.cc as is, by
// x86/conv2d_winograd_f32__avx2.cc compiled with -mavx2 -mfma (the transforms' loops along the
// 32 tiles of a block vectorize 8 wide) and by x86/conv2d_winograd_f32__avx512f.cc (16 wide);
// and by tests/kernels/winograd_test.cc, which checks bt() and at() against their matrices. The
// including file defines TVLITE_WINOGRAD_NS, the namespace that keeps the copies apart.
#pragma once
#include <atomic>
#include <cassert>
#include <cstdint>

#include "tvlite/kernels/conv2d.h"
#include "tvlite/kernels/gemm.h"
#include "tvlite/kernels/gemm_microkernel.h"

#ifndef TVLITE_WINOGRAD_NS
#error "define TVLITE_WINOGRAD_NS before including winograd_f32_impl.h"
#endif

namespace tvlite::kernels::TVLITE_WINOGRAD_NS {

// Local copies of the headers' inline helpers with external linkage: an inline function
// compiled in the AVX2 copy must not be the one the linker keeps for the generic code (it would
// fault on a CPU without AVX2), so this file calls none of them (parallel_run is static).
inline int output_size(int in, int pad) {  // conv2d_output_size for a 3x3, stride 1
  const int64_t avail = int64_t(in) + 2 * int64_t(pad) - 3;
  return avail < 0 ? 0 : int(avail + 1);
}
inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }

// The transform matrices, row-major (the specification of bt() and at(), which a test checks
// against them). Interpolation points 0, +-1 (F(2,3)) and 0, +-1, +-2
// (F(4,3)), as in Lavin & Gray and most fp32 implementations.
template <int M>
struct Winograd;

template <>
struct Winograd<2> {
  static constexpr int A = 4;  // alpha = m + 2
  static constexpr float BT[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
  static constexpr float G[4][3] = {{1, 0, 0}, {0.5f, 0.5f, 0.5f}, {0.5f, -0.5f, 0.5f}, {0, 0, 1}};
  static constexpr float AT[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};
  // y = BT x and y = AT x with the zero terms left out (kept as FMAs, they were half the work).
  static void bt(const float (&x)[4], float (&y)[4]) {
    y[0] = x[0] - x[2];
    y[1] = x[1] + x[2];
    y[2] = x[2] - x[1];
    y[3] = x[1] - x[3];
  }
  static void at(const float (&x)[4], float (&y)[2]) {
    y[0] = x[0] + x[1] + x[2];
    y[1] = x[1] - x[2] - x[3];
  }
};

template <>
struct Winograd<4> {
  static constexpr int A = 6;
  static constexpr float BT[6][6] = {{4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0},
                                     {0, 4, -4, -1, 1, 0}, {0, -2, -1, 2, 1, 0},
                                     {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
  static constexpr float G[6][3] = {{1.0f / 4, 0, 0},
                                    {-1.0f / 6, -1.0f / 6, -1.0f / 6},
                                    {-1.0f / 6, 1.0f / 6, -1.0f / 6},
                                    {1.0f / 24, 1.0f / 12, 1.0f / 6},
                                    {1.0f / 24, -1.0f / 12, 1.0f / 6},
                                    {0, 0, 1}};
  static constexpr float AT[4][6] = {
      {1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}};
  // y = BT x and y = AT x as the rows above, their shared sums formed once (the zero terms, kept
  // as FMAs, were 40 % of the products, and every (row, column) pair a pass over the lanes).
  static void bt(const float (&x)[6], float (&y)[6]) {
    const float s12 = x[1] + x[2], s34 = x[3] + x[4], d12 = x[1] - x[2], d43 = x[4] - x[3];
    const float d13 = x[1] - x[3], d42 = x[4] - x[2];
    y[0] = 4.0f * x[0] - 5.0f * x[2] + x[4];
    y[1] = s34 - 4.0f * s12;
    y[2] = d43 + 4.0f * d12;
    y[3] = d42 - 2.0f * d13;
    y[4] = d42 + 2.0f * d13;
    y[5] = 4.0f * x[1] - 5.0f * x[3] + x[5];
  }
  static void at(const float (&x)[6], float (&y)[4]) {
    const float s12 = x[1] + x[2], s34 = x[3] + x[4], d12 = x[1] - x[2], d34 = x[3] - x[4];
    y[0] = x[0] + s12 + s34;
    y[1] = d12 + 2.0f * d34;
    y[2] = s12 + 4.0f * s34;
    y[3] = d12 + 8.0f * d34 + x[5];
  }
};

constexpr int kBlockTiles = 32;  // tiles per block: the GEMMs' N (two AVX2 panels)

struct Geometry {
  int64_t cin, cout, in_h, in_w, out_h, out_w, pad_h, pad_w;
  int64_t tiles_h, tiles_w, tiles;
};

template <int M>
Geometry geometry(const Conv2dParams& p, int in_h, int in_w) {
  Geometry g;
  g.cin = p.in_channels, g.cout = p.out_channels, g.in_h = in_h, g.in_w = in_w;
  g.pad_h = p.pad_h, g.pad_w = p.pad_w;
  g.out_h = output_size(in_h, p.pad_h);
  g.out_w = output_size(in_w, p.pad_w);
  g.tiles_h = (g.out_h + M - 1) / M;
  g.tiles_w = (g.out_w + M - 1) / M;
  g.tiles = g.tiles_h * g.tiles_w;
  return g;
}

template <int M>
constexpr int64_t kPositions = (M + 2) * (M + 2);

// Scratch, in floats: U, then per thread one block's V and M.
template <int M>
int64_t per_thread_floats(const Geometry& g) {
  return kPositions<M> * (g.cin + g.cout) * kBlockTiles;
}

template <int M>
struct Task {
  Geometry g;
  const GemmUkernel* uk;
  const float* input;
  const float* weight;
  const GemmEpilogue* ep;
  float* output;
  float* u;             // [P][cout][cin]
  float* blocks;        // per thread: V [cin][P][kBlockTiles], then M [cout][P][kBlockTiles]
  int64_t block_tiles;  // tiles per block (<= kBlockTiles)
  int64_t num_blocks;
  // Each block's output channels in this many parts of part_size (the last may be shorter): the
  // work items, taken one at a time, are (block, part) pairs.
  int64_t cout_parts = 1, part_size = 0;
  std::atomic<int64_t> next{0};
};

// U for output channels [c0, c1): U[xi][co][ci] = sum G[i][a] g[a][b] G[j][b], xi = i*A + j.
// Three passes over a block of kCiBlock input channels, each a loop along ci that vectorizes:
// the block's 3x3 kernels turned tap-major (gt[tap][ci]), then G g, then (G g) G^T, whose every
// store is a contiguous run along ci (U's rows) rather than A*A stores a plane apart. Before,
// G g was 12 or 18 scalar sums per channel. The transform stays bound by memory (reading the
// weights, writing U: ~0.75 ms of a 256-channel 14x14 F(2,3) conv's 2.1 ms with cold caches),
// so this gained 1-3 % on those convs in resnet18 (tvlite-bench --profile, interleaved).
constexpr int kCiBlock = 64;

template <int M>
void transform_weights(void* ctx, int64_t c0, int64_t c1, int /*thread*/) {
  using W = Winograd<M>;
  constexpr int A = W::A;
  const Task<M>& t = *static_cast<const Task<M>*>(ctx);
  const int64_t plane = t.g.cout * t.g.cin;
  float gt[9][kCiBlock];     // the block's kernels, tap-major
  float gg[A][3][kCiBlock];  // G g, per channel of the block
  for (int64_t co = c0; co < c1; ++co) {
    for (int64_t cb = 0; cb < t.g.cin; cb += kCiBlock) {
      const int n = int(imin(kCiBlock, t.g.cin - cb));
      const float* g = t.weight + (co * t.g.cin + cb) * 9;
      for (int c = 0; c < n; ++c) {
        for (int k = 0; k < 9; ++k) gt[k][c] = g[c * 9 + k];
      }
      for (int i = 0; i < A; ++i) {
        const float g0 = W::G[i][0], g1 = W::G[i][1], g2 = W::G[i][2];
        for (int b = 0; b < 3; ++b) {
          for (int c = 0; c < n; ++c)
            gg[i][b][c] = g0 * gt[b][c] + g1 * gt[3 + b][c] + g2 * gt[6 + b][c];
        }
      }
      for (int i = 0; i < A; ++i) {
        for (int j = 0; j < A; ++j) {
          float* u = t.u + (i * A + j) * plane + co * t.g.cin + cb;
          const float g0 = W::G[j][0], g1 = W::G[j][1], g2 = W::G[j][2];
          for (int c = 0; c < n; ++c) u[c] = gg[i][0][c] * g0 + gg[i][1][c] * g1 + gg[i][2][c] * g2;
        }
      }
    }
  }
}

// V for the block's tiles [t0, t0 + n) (n <= kBlockTiles), lane l = tile t0 + l. Each step is a
// loop over the lanes, which the compiler vectorizes; V is written along the lanes.
template <int M>
void transform_input(const Task<M>& t, int64_t t0, int n, float* v) {
  const int nl = (n + 7) / 8 * 8;  // lanes computed: whole vectors
  using W = Winograd<M>;
  constexpr int A = W::A;
  const Geometry& g = t.g;
  int64_t y0[kBlockTiles], x0[kBlockTiles];
  bool inside[kBlockTiles];
  for (int l = 0; l < n; ++l) {
    y0[l] = (t0 + l) / g.tiles_w * M - g.pad_h;
    x0[l] = (t0 + l) % g.tiles_w * M - g.pad_w;
    inside[l] = y0[l] >= 0 && x0[l] >= 0 && y0[l] + A <= g.in_h && x0[l] + A <= g.in_w;
  }
  float d[A][A][kBlockTiles];
  float tmp[A][A][kBlockTiles];
  for (int64_t ci = 0; ci < g.cin; ++ci) {
    const float* in = t.input + ci * g.in_h * g.in_w;
    for (int l = 0; l < n; ++l) {
      if (inside[l]) {
        const float* src = in + y0[l] * g.in_w + x0[l];
        for (int r = 0; r < A; ++r) {
          for (int c = 0; c < A; ++c) d[r][c][l] = src[r * g.in_w + c];
        }
      } else {  // indices, not pointers, outside the image
        for (int r = 0; r < A; ++r) {
          const int64_t y = y0[l] + r;
          for (int c = 0; c < A; ++c) {
            const int64_t x = x0[l] + c;
            d[r][c][l] = y >= 0 && y < g.in_h && x >= 0 && x < g.in_w ? in[y * g.in_w + x] : 0.0f;
          }
        }
      }
    }
    for (int l = n; l < nl; ++l) {
      for (int r = 0; r < A; ++r) {
        for (int c = 0; c < A; ++c) d[r][c][l] = 0.0f;
      }
    }
    // Each pass along the lanes transforms a whole column, then a whole row (W::bt).
    for (int c = 0; c < A; ++c) {  // tmp = B^T d
      for (int l = 0; l < nl; ++l) {
        float x[A], y[A];
        for (int r = 0; r < A; ++r) x[r] = d[r][c][l];
        W::bt(x, y);
        for (int i = 0; i < A; ++i) tmp[i][c][l] = y[i];
      }
    }
    for (int i = 0; i < A; ++i) {  // V = tmp B
      float* out = v + (ci * A * A + i * A) * kBlockTiles;
      for (int l = 0; l < nl; ++l) {
        float x[A], y[A];
        for (int c = 0; c < A; ++c) x[c] = tmp[i][c][l];
        W::bt(x, y);
        for (int j = 0; j < A; ++j) out[j * kBlockTiles + l] = y[j];
      }
    }
  }
}

// y for the block's tiles from M [cout][P][kBlockTiles]: A^T M A, the epilogue, and the store of
// the part of each tile inside the output.
template <int M>
void transform_output(const Task<M>& t, int64_t t0, int n, const float* m, int64_t co0,
                      int64_t co1) {
  const int nl = (n + 7) / 8 * 8;
  using W = Winograd<M>;
  constexpr int A = W::A;
  const Geometry& g = t.g;
  const GemmEpilogue& ep = *t.ep;
  const int64_t out_hw = g.out_h * g.out_w;
  float tmp[M][A][kBlockTiles];
  float y[M][M][kBlockTiles];
  for (int64_t co = co0; co < co1; ++co) {
    const float* mc = m + co * A * A * kBlockTiles;
    for (int c = 0; c < A; ++c) {  // tmp = A^T M
      for (int l = 0; l < nl; ++l) {
        float x[A], z[M];
        for (int r = 0; r < A; ++r) x[r] = mc[(r * A + c) * kBlockTiles + l];
        W::at(x, z);
        for (int i = 0; i < M; ++i) tmp[i][c][l] = z[i];
      }
    }
    const float scale = ep.scale != nullptr ? ep.scale[co] : 1.0f;
    const float shift = ep.shift != nullptr ? ep.shift[co] : 0.0f;
    for (int i = 0; i < M; ++i) {  // y = tmp A, then scale and shift
      for (int l = 0; l < nl; ++l) {
        float x[A], z[M];
        for (int c = 0; c < A; ++c) x[c] = tmp[i][c][l];
        W::at(x, z);
        for (int j = 0; j < M; ++j) y[i][j][l] = z[j] * scale + shift;
      }
    }
    const float* res = ep.residual != nullptr ? ep.residual + co * ep.ldr : nullptr;
    float* out = t.output + co * out_hw;
    for (int l = 0; l < n; ++l) {
      const int64_t oy = (t0 + l) / g.tiles_w * M, ox = (t0 + l) % g.tiles_w * M;
      const int rows = int(imin(M, g.out_h - oy));
      const int cols = int(imin(M, g.out_w - ox));
      for (int i = 0; i < rows; ++i) {
        const int64_t at = (oy + i) * g.out_w + ox;
        for (int j = 0; j < cols; ++j) {
          float val = y[i][j][l];
          if (res != nullptr) val += res[at + j];
          if (ep.relu) val = val > 0.0f ? val : 0.0f;  // NaN -> 0, as relu_f32_ref
          out[at + j] = val;
        }
      }
    }
  }
}

// Each thread takes work items one at a time (a thread slowed by a neighbour on a shared
// machine takes fewer) and runs them in its own V and M: the input transform of the item's block
// (unless the thread's previous item had the same block), then the item's output channels.
template <int M>
void run_blocks(void* ctx, int64_t /*begin*/, int64_t /*end*/, int thread) {
  Task<M>& t = *static_cast<Task<M>*>(ctx);
  const Geometry& g = t.g;
  constexpr int64_t P = kPositions<M>;
  float* v = t.blocks + thread * per_thread_floats<M>(g);
  float* m = v + P * g.cin * kBlockTiles;
  const GemmEpilogue none;
  const int64_t items = t.num_blocks * t.cout_parts;
  int64_t have = -1;  // the block whose V is in v
  for (int64_t item = t.next.fetch_add(1, std::memory_order_relaxed); item < items;
       item = t.next.fetch_add(1, std::memory_order_relaxed)) {
    const int64_t b = item / t.cout_parts, part = item % t.cout_parts;
    const int64_t t0 = b * t.block_tiles;
    const int n = int(imin(t.block_tiles, g.tiles - t0));
    if (b != have) transform_input<M>(t, t0, n, v);
    have = b;
    const int64_t co0 = part * t.part_size, co1 = imin(g.cout, co0 + t.part_size);
    for (int64_t xi = 0; xi < P; ++xi) {
      gemm_f32_epilogue_with(*t.uk, co1 - co0, n, g.cin, t.u + (xi * g.cout + co0) * g.cin, g.cin,
                             v + xi * kBlockTiles, P * kBlockTiles, none,
                             m + co0 * P * kBlockTiles + xi * kBlockTiles, P * kBlockTiles,
                             nullptr);
    }
    transform_output<M>(t, t0, n, m, co0, co1);
  }
}

template <int M>
inline size_t scratch_floats(const Geometry& g, int threads) {
  return size_t(kPositions<M> * g.cout * g.cin + threads * per_thread_floats<M>(g));
}

template <int M>
void run(const Conv2dParams& p, int in_h, int in_w, const float* input, const float* weight,
         const GemmEpilogue& ep, float* output, void* scratch, Parallel* parallel) {
  Task<M> t;
  t.g = geometry<M>(p, in_h, in_w);
  // Nothing to compute, and the block sizes below would divide by zero (no output channels and
  // no tiles, on threads: found by a review).
  if (t.g.tiles == 0 || t.g.cout == 0) return;
  t.uk = &gemm_f32_ukernel_default();
  t.input = input, t.weight = weight, t.ep = &ep, t.output = output;
  t.u = static_cast<float*>(scratch);
  t.blocks = t.u + kPositions<M> * t.g.cout * t.g.cin;
  parallel_run(parallel, t.g.cout, transform_weights<M>, &t);
  // One thread: blocks of kBlockTiles. More: up to 4 blocks per thread, in whole vectors of 8
  // tiles, so that the last blocks even the threads out; but no block under 16 tiles, because
  // every block streams all of U (P x C_out x C_in floats: 2.4 MB at 128 channels) through its
  // GEMMs. With few tiles (at most kBlockTiles per thread: 28x28 and 14x14, 49 tiles), blocks of
  // kBlockTiles as on one thread, and their output channels split between the threads instead:
  // each thread then streams only its part of U (splitting the tiles 25 + 24 made each stream
  // all of it), at the cost of every thread transforming the input.
  const int threads = parallel == nullptr ? 1 : parallel->num_threads();
  t.block_tiles = kBlockTiles;
  t.part_size = t.g.cout;
  if (threads > 1 && t.g.tiles <= kBlockTiles * threads && t.g.cout > 0) {
    t.part_size = (t.g.cout + threads - 1) / threads;
    t.cout_parts = (t.g.cout + t.part_size - 1) / t.part_size;  // none empty (5 over 4: 2+2+1)
  } else if (threads > 1) {
    int64_t per_thread = 4;
    while (per_thread > 1 && (t.g.tiles + threads * per_thread - 1) / (threads * per_thread) < 16)
      --per_thread;
    const int64_t want = (t.g.tiles + threads * per_thread - 1) / (threads * per_thread);
    t.block_tiles = imin(kBlockTiles, per_thread > 1 ? (want + 7) / 8 * 8 : want);
  }
  t.num_blocks = (t.g.tiles + t.block_tiles - 1) / t.block_tiles;
  parallel_run(parallel, imin(threads, t.num_blocks * t.cout_parts), run_blocks<M>, &t);
}

}  // namespace tvlite::kernels::TVLITE_WINOGRAD_NS

// The direct convolution's shared state (generic/conv2d_direct_f32.cc sets it up; the AVX-512
// tiles in x86/conv2d_direct_f32__avx512f.cc run it).
#pragma once
#include <atomic>
#include <cstdint>

#include "tvlite/kernels/conv2d.h"

namespace tvlite::kernels {

constexpr int kDirectOc = 32;    // output channels per tile: two zmm
constexpr int kDirectMinR = 7;   // output pixels per tile: at least 14 accumulators,
constexpr int kDirectMaxR = 14;  // at most 28
// A work item of at most kDirectSliceTiles tiles (the 7x7 and 14x14 stages: few pixels, long K)
// runs K in slices of about kDirectSliceK (whole input channels): each slice of its block is
// repacked (32 KiB: in L1) and run over all the item's tiles, whose partial sums wait in
// `partial` between slices. Larger items repack their whole block once (it stays in L2).
constexpr int kDirectSliceTiles = 16;
constexpr int kDirectSliceK = 256;
constexpr int64_t kDirectPartialFloats = int64_t(kDirectSliceTiles) * kDirectMaxR * kDirectOc;

// The conv as the tiles see it. A 1x1, stride-1, unpadded conv is one row of out_h * out_w
// pixels (its input one row of in_h * in_w per channel), so its tiles never end at a row's end.
struct DirectConv {
  int64_t cin, cout, kh, kw, sh, sw, dh, dw;
  int64_t out_h, out_w;  // as the tiles see them
  int64_t hp, wp;        // the (padded) input plane the tiles read, [cin][hp][wp]
  int64_t k;             // cin * kh * kw
  int64_t r;             // pixels per tile (kDirectMinR..kDirectMaxR, or out_w when shorter)
  int64_t tiles_w;       // tiles per output row
  const float* input;    // the padded copy, or the input itself when unpadded
  const float* weight;   // [cout][k], as the file holds it
  const GemmEpilogue* ep;
  float* output;
  float* packed;         // per thread: one block of weights, [k][32], zero past cout, then
                         // kDirectPartialFloats of partial sums; thread i's at i * per_thread
  int64_t per_thread;    // floats
  int64_t slice_ci;      // input channels per K slice: cin when K is not sliced
  int64_t blocks;        // blocks of 32 output channels
  int64_t parts;         // each block's tiles (out_h * tiles_w, row-major) in this many work items
  std::atomic<int64_t> next{0};
};

#if defined(TVLITE_KERNELS_HAVE_AVX2)
// A RangeFn: each thread takes work items (block, part of its tiles) one at a time, repacks the
// item's block of weights unless it holds it already, and runs the item's tiles.
void conv2d_direct_run__avx512f(void* ctx, int64_t begin, int64_t end, int thread);
#endif

}  // namespace tvlite::kernels

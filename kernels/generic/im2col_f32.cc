// im2col: a convolution's input unfolded into the dense matrix [C_in/g*kh*kw x out_h*out_w]
// (row r = (channel, ky, kx) in the weight's order). tvlite's own GEMM never needs it (it packs
// B straight from the image); a dense BLAS does: conv2d_f32 uses it in the OpenBLAS build.
#include <algorithm>
#include <cstring>

#include "im2col.h"

namespace tvlite::kernels {
namespace {

struct Im2colTask {
  const Conv2dParams* p;
  int in_h, in_w, out_h, out_w;
  const float* input;  // first channel of the group
  float* col;          // [cin_g * kh * kw][out_h * out_w]
};

// Rows [r0, r1) of the unfolded matrix; row r is (channel, ky, kx) in the weight's order.
void im2col_rows(void* ctx, int64_t r0, int64_t r1, int /*thread_index*/) {
  const Im2colTask& t = *static_cast<const Im2colTask*>(ctx);
  const Conv2dParams& p = *t.p;
  const int64_t taps = int64_t(p.kernel_h) * p.kernel_w;
  for (int64_t r = r0; r < r1; ++r) {
    const int ic = int(r / taps);
    const int ky = int(r % taps) / p.kernel_w;
    const int kx = int(r % taps) % p.kernel_w;
    const float* in_c = t.input + int64_t(ic) * t.in_h * t.in_w;
    float* dst = t.col + r * t.out_h * t.out_w;
    // Columns ox with 0 <= ox*stride - off < in_w, off = pad - kx*dilation, read the input.
    const int off = p.pad_w - kx * p.dilation_w;
    int ox_lo = off <= 0 ? 0 : (off + p.stride_w - 1) / p.stride_w;
    int ox_hi = (t.in_w - 1 + off) < 0 ? 0 : (t.in_w - 1 + off) / p.stride_w + 1;
    ox_lo = std::min(ox_lo, t.out_w);
    ox_hi = std::max(std::min(ox_hi, t.out_w), ox_lo);
    for (int oy = 0; oy < t.out_h; ++oy, dst += t.out_w) {
      const int iy = oy * p.stride_h - p.pad_h + ky * p.dilation_h;
      if (iy < 0 || iy >= t.in_h) {
        std::memset(dst, 0, sizeof(float) * t.out_w);
        continue;
      }
      const float* src = in_c + int64_t(iy) * t.in_w - off;
      for (int ox = 0; ox < ox_lo; ++ox) dst[ox] = 0.0f;
      if (p.stride_w == 1) {
        std::memcpy(dst + ox_lo, src + ox_lo, sizeof(float) * (ox_hi - ox_lo));
      } else {
        for (int ox = ox_lo; ox < ox_hi; ++ox) dst[ox] = src[int64_t(ox) * p.stride_w];
      }
      for (int ox = ox_hi; ox < t.out_w; ++ox) dst[ox] = 0.0f;
    }
  }
}

}  // namespace

size_t im2col_f32_bytes(const Conv2dParams& p, int out_h, int out_w) {
  const size_t rows = size_t(p.in_channels / p.groups) * p.kernel_h * p.kernel_w;
  return (rows * size_t(out_h) * size_t(out_w) * sizeof(float) + 63) / 64 * 64;
}

void im2col_f32(const Conv2dParams& p, int in_h, int in_w, int out_h, int out_w,
                const float* input, float* col, Parallel* parallel) {
  Im2colTask t{&p, in_h, in_w, out_h, out_w, input, col};
  const int64_t rows = int64_t(p.in_channels / p.groups) * p.kernel_h * p.kernel_w;
  parallel_run(parallel, rows, im2col_rows, &t);
}

}  // namespace tvlite::kernels

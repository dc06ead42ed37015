// Fast 2-D convolution: a 1x1 stride-1 unpadded conv is a GEMM on the input as it is
// (weight [C_out x C_in] times input [C_in x H*W]); every other conv first unfolds its input
// (im2col) into the caller's scratch as [C_in/g*kh*kw x out_h*out_w], one group at a time.
#include <algorithm>
#include <cassert>
#include <cstring>

#include "tvlite/kernels/conv2d.h"
#include "tvlite/kernels/gemm.h"

namespace tvlite::kernels {
namespace {

bool is_pointwise(const Conv2dParams& p) {
  return p.kernel_h == 1 && p.kernel_w == 1 && p.stride_h == 1 && p.stride_w == 1 &&
         p.pad_h == 0 && p.pad_w == 0;
}

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

size_t conv2d_f32_scratch_bytes(const Conv2dParams& p, int in_h, int in_w, int /*num_threads*/) {
  // The unfolded matrix is shared by all threads (they fill and read disjoint parts of it),
  // so the size does not depend on the thread count.
  if (is_pointwise(p) || p.groups < 1) return 0;
  const int out_h = conv2d_output_size(in_h, p.kernel_h, p.stride_h, p.pad_h, p.dilation_h);
  const int out_w = conv2d_output_size(in_w, p.kernel_w, p.stride_w, p.pad_w, p.dilation_w);
  if (out_h <= 0 || out_w <= 0) return 0;
  const size_t rows = size_t(p.in_channels / p.groups) * p.kernel_h * p.kernel_w;
  const size_t bytes = rows * size_t(out_h) * size_t(out_w) * sizeof(float);
  return (bytes + 63) / 64 * 64;
}

void conv2d_f32(const Conv2dParams& p, int in_h, int in_w, const float* input, const float* weight,
                const float* bias, float* output, void* scratch, Parallel* parallel) {
  GemmEpilogue ep;
  ep.shift = bias;
  conv2d_f32_epilogue(p, in_h, in_w, input, weight, ep, output, scratch, parallel);
}

void conv2d_f32_epilogue(const Conv2dParams& p, int in_h, int in_w, const float* input,
                         const float* weight, const GemmEpilogue& ep, float* output,
                         void* scratch, Parallel* parallel) {
  assert(p.groups >= 1 && p.in_channels % p.groups == 0 && p.out_channels % p.groups == 0);
  assert(p.stride_h >= 1 && p.stride_w >= 1 && p.dilation_h >= 1 && p.dilation_w >= 1);
  assert(p.pad_h >= 0 && p.pad_w >= 0 && p.kernel_h >= 1 && p.kernel_w >= 1);
  const int out_h = conv2d_output_size(in_h, p.kernel_h, p.stride_h, p.pad_h, p.dilation_h);
  const int out_w = conv2d_output_size(in_w, p.kernel_w, p.stride_w, p.pad_w, p.dilation_w);
  assert(out_h > 0 && out_w > 0);
  const int64_t cin_g = p.in_channels / p.groups;
  const int64_t cout_g = p.out_channels / p.groups;
  const int64_t k = cin_g * p.kernel_h * p.kernel_w;  // GEMM depth per group
  const int64_t in_hw = int64_t(in_h) * in_w;
  const int64_t out_hw = int64_t(out_h) * out_w;
  const bool pointwise = is_pointwise(p);
  assert(pointwise || scratch != nullptr);
  assert(ep.residual == nullptr || ep.ldr >= out_hw);
  float* col = static_cast<float*>(scratch);
  for (int g = 0; g < p.groups; ++g) {
    const float* in_g = input + g * cin_g * in_hw;
    const float* b = in_g;
    if (!pointwise) {
      Im2colTask t{&p, in_h, in_w, out_h, out_w, in_g, col};
      parallel_run(parallel, k, im2col_rows, &t);
      b = col;
    }
    const int64_t c0 = g * cout_g;
    GemmEpilogue epg = ep;
    if (ep.scale != nullptr) epg.scale = ep.scale + c0;
    if (ep.shift != nullptr) epg.shift = ep.shift + c0;
    if (ep.residual != nullptr) epg.residual = ep.residual + c0 * ep.ldr;
    gemm_f32_epilogue(cout_g, out_hw, k, weight + c0 * k, k, b, out_hw, epg, output + c0 * out_hw,
                      out_hw, parallel);
  }
}

}  // namespace tvlite::kernels

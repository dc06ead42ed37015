// Reference 2-D convolution: the direct loop nest that defines the contract of conv2d_f32.
#include <cassert>

#include "tvlite/kernels/conv2d.h"

namespace tvlite::kernels {

void conv2d_f32_ref(const Conv2dParams& p, int in_h, int in_w, const float* input,
                    const float* weight, const float* bias, float* output) {
  assert(p.groups >= 1 && p.in_channels % p.groups == 0 && p.out_channels % p.groups == 0);
  assert(p.stride_h >= 1 && p.stride_w >= 1 && p.dilation_h >= 1 && p.dilation_w >= 1);
  assert(p.pad_h >= 0 && p.pad_w >= 0 && p.kernel_h >= 1 && p.kernel_w >= 1);
  const int out_h = conv2d_output_size(in_h, p.kernel_h, p.stride_h, p.pad_h, p.dilation_h);
  const int out_w = conv2d_output_size(in_w, p.kernel_w, p.stride_w, p.pad_w, p.dilation_w);
  assert(out_h > 0 && out_w > 0);
  const int cin_g = p.in_channels / p.groups;
  const int cout_g = p.out_channels / p.groups;
  for (int oc = 0; oc < p.out_channels; ++oc) {
    const int g = oc / cout_g;
    const float* w_oc = weight + int64_t(oc) * cin_g * p.kernel_h * p.kernel_w;
    for (int oy = 0; oy < out_h; ++oy) {
      for (int ox = 0; ox < out_w; ++ox) {
        double acc = bias != nullptr ? bias[oc] : 0.0;
        for (int ic = 0; ic < cin_g; ++ic) {
          const float* in_c = input + (int64_t(g) * cin_g + ic) * in_h * in_w;
          const float* w_c = w_oc + int64_t(ic) * p.kernel_h * p.kernel_w;
          for (int ky = 0; ky < p.kernel_h; ++ky) {
            const int iy = oy * p.stride_h - p.pad_h + ky * p.dilation_h;
            if (iy < 0 || iy >= in_h) continue;
            for (int kx = 0; kx < p.kernel_w; ++kx) {
              const int ix = ox * p.stride_w - p.pad_w + kx * p.dilation_w;
              if (ix < 0 || ix >= in_w) continue;
              acc += double(in_c[int64_t(iy) * in_w + ix]) * w_c[ky * p.kernel_w + kx];
            }
          }
        }
        output[(int64_t(oc) * out_h + oy) * out_w + ox] = float(acc);
      }
    }
  }
}

void conv2d_f32_epilogue_ref(const Conv2dParams& p, int in_h, int in_w, const float* input,
                             const float* weight, const GemmEpilogue& ep, float* output) {
  conv2d_f32_ref(p, in_h, in_w, input, weight, nullptr, output);
  const int64_t out_hw =
      int64_t(conv2d_output_size(in_h, p.kernel_h, p.stride_h, p.pad_h, p.dilation_h)) *
      conv2d_output_size(in_w, p.kernel_w, p.stride_w, p.pad_w, p.dilation_w);
  gemm_epilogue_f32_ref(p.out_channels, out_hw, ep, output, out_hw);
}

}  // namespace tvlite::kernels

// Reference max pooling, as torch.nn.MaxPool2d (padding counts as -inf).
#include <cassert>
#include <limits>

#include "tvlite/kernels/pool2d.h"

namespace tvlite::kernels {

int max_pool2d_output_size(int in, int kernel, int stride, int pad, int dilation, bool ceil_mode) {
  if (in <= 0 || kernel <= 0 || stride <= 0 || pad < 0 || dilation <= 0) return 0;
  const int64_t span = int64_t(dilation) * (kernel - 1) + 1;
  const int64_t avail = int64_t(in) + 2 * int64_t(pad) - span;
  if (avail < 0) return 0;
  int64_t out = (ceil_mode ? (avail + stride - 1) / stride : avail / stride) + 1;
  // PyTorch's rule: the last window must start inside the input or the left padding.
  if (ceil_mode && (out - 1) * stride >= int64_t(in) + pad) --out;
  return int(out);
}

void max_pool2d_f32_ref(const MaxPool2dParams& p, int64_t channels, int in_h, int in_w,
                        const float* input, float* output) {
  const int out_h =
      max_pool2d_output_size(in_h, p.kernel_h, p.stride_h, p.pad_h, p.dilation_h, p.ceil_mode);
  const int out_w =
      max_pool2d_output_size(in_w, p.kernel_w, p.stride_w, p.pad_w, p.dilation_w, p.ceil_mode);
  assert(out_h > 0 && out_w > 0 && channels >= 0);
  for (int64_t c = 0; c < channels; ++c) {
    const float* in_c = input + c * in_h * in_w;
    for (int oy = 0; oy < out_h; ++oy) {
      for (int ox = 0; ox < out_w; ++ox) {
        float m = -std::numeric_limits<float>::infinity();
        for (int ky = 0; ky < p.kernel_h; ++ky) {
          const int iy = oy * p.stride_h - p.pad_h + ky * p.dilation_h;
          if (iy < 0 || iy >= in_h) continue;
          for (int kx = 0; kx < p.kernel_w; ++kx) {
            const int ix = ox * p.stride_w - p.pad_w + kx * p.dilation_w;
            if (ix < 0 || ix >= in_w) continue;
            const float v = in_c[int64_t(iy) * in_w + ix];
            if (v > m || v != v) m = v;  // NaN propagates, as in PyTorch
          }
        }
        output[(c * out_h + oy) * out_w + ox] = m;
      }
    }
  }
}

}  // namespace tvlite::kernels

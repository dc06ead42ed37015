// Reference adaptive average pooling, as torch.nn.AdaptiveAvgPool2d.
#include <cassert>

#include "tvlite/kernels/pool2d.h"

namespace tvlite::kernels {

void adaptive_avg_pool2d_f32_ref(int64_t channels, int in_h, int in_w, int out_h, int out_w,
                                 const float* input, float* output) {
  assert(channels >= 0 && in_h > 0 && in_w > 0 && out_h > 0 && out_w > 0);
  for (int64_t c = 0; c < channels; ++c) {
    const float* in_c = input + c * in_h * in_w;
    for (int oy = 0; oy < out_h; ++oy) {
      // Window [floor(i*in/out), ceil((i+1)*in/out)): windows overlap when out does not divide in.
      const int y0 = int(int64_t(oy) * in_h / out_h);
      const int y1 = int((int64_t(oy + 1) * in_h + out_h - 1) / out_h);
      for (int ox = 0; ox < out_w; ++ox) {
        const int x0 = int(int64_t(ox) * in_w / out_w);
        const int x1 = int((int64_t(ox + 1) * in_w + out_w - 1) / out_w);
        double sum = 0.0;
        for (int y = y0; y < y1; ++y) {
          for (int x = x0; x < x1; ++x) sum += in_c[int64_t(y) * in_w + x];
        }
        output[(c * out_h + oy) * out_w + ox] = float(sum / (double(y1 - y0) * (x1 - x0)));
      }
    }
  }
}

}  // namespace tvlite::kernels

// Reference fully connected layer: one dot product per output.
#include <cassert>

#include "tvlite/kernels/linear.h"

namespace tvlite::kernels {

void linear_f32_ref(int64_t batch, int64_t in_features, int64_t out_features, const float* input,
                    const float* weight, const float* bias, float* output) {
  assert(batch >= 0 && in_features >= 0 && out_features >= 0);
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t o = 0; o < out_features; ++o) {
      double acc = bias != nullptr ? bias[o] : 0.0;
      for (int64_t i = 0; i < in_features; ++i) {
        acc += double(input[b * in_features + i]) * weight[o * in_features + i];
      }
      output[b * out_features + o] = float(acc);
    }
  }
}

}  // namespace tvlite::kernels

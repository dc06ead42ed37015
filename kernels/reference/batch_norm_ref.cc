// Batch norm in eval mode: folding of the statistics, and the reference per-channel affine.
#include <cassert>
#include <cmath>

#include "tvlite/kernels/batch_norm.h"

namespace tvlite::kernels {

void batch_norm_fold_f32(int64_t channels, const float* gamma, const float* beta,
                         const float* mean, const float* var, float eps, float* scale,
                         float* shift) {
  assert(channels >= 0 && mean != nullptr && var != nullptr && eps >= 0.0f);
  for (int64_t c = 0; c < channels; ++c) {
    // Computed in double so that the fold itself adds no rounding beyond the final cast.
    const double s = (gamma != nullptr ? double(gamma[c]) : 1.0) / std::sqrt(double(var[c]) + eps);
    scale[c] = float(s);
    shift[c] = float((beta != nullptr ? double(beta[c]) : 0.0) - double(mean[c]) * s);
  }
}

void batch_norm_f32_ref(int64_t channels, int64_t spatial, const float* input, const float* scale,
                        const float* shift, bool relu, float* output) {
  assert(channels >= 0 && spatial >= 0);
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t i = 0; i < spatial; ++i) {
      float y = input[c * spatial + i] * scale[c] + shift[c];
      if (relu && !(y > 0.0f)) y = 0.0f;
      output[c * spatial + i] = y;
    }
  }
}

}  // namespace tvlite::kernels

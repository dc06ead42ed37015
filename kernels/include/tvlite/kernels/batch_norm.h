// Batch normalization in eval mode, NCHW: y = (x - mean) / sqrt(var + eps) * gamma + beta.
#pragma once
#include <cstdint>

namespace tvlite::kernels {

// Folds the four statistics into y = x * scale[c] + shift[c]. gamma/beta may be null
// (affine=False: gamma = 1, beta = 0). scale and shift are [channels].
void batch_norm_fold_f32(int64_t channels, const float* gamma, const float* beta,
                         const float* mean, const float* var, float eps, float* scale,
                         float* shift);

// One image: input/output [channels, spatial] (may alias). relu: clamp at 0 after the affine.
void batch_norm_f32_ref(int64_t channels, int64_t spatial, const float* input, const float* scale,
                        const float* shift, bool relu, float* output);
void batch_norm_f32(int64_t channels, int64_t spatial, const float* input, const float* scale,
                    const float* shift, bool relu, float* output);

}  // namespace tvlite::kernels

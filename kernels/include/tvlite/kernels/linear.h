// Fully connected layer, as torch.nn.Linear: out = in * W^T + b.
#pragma once
#include <cstdint>

#include "tvlite/kernels/parallel.h"

namespace tvlite::kernels {

// input: [batch, in_features]; weight: [out_features, in_features] (PyTorch layout);
// bias: [out_features] or null; output: [batch, out_features].
void linear_f32_ref(int64_t batch, int64_t in_features, int64_t out_features, const float* input,
                    const float* weight, const float* bias, float* output);
void linear_f32(int64_t batch, int64_t in_features, int64_t out_features, const float* input,
                const float* weight, const float* bias, float* output, Parallel* parallel);

}  // namespace tvlite::kernels

// Element-wise ops: ReLU and the residual add (with optional fused ReLU).
#pragma once
#include <cstdint>

namespace tvlite::kernels {

// output[i] = max(input[i], 0). input and output may alias.
void relu_f32(int64_t n, const float* input, float* output);

// output[i] = a[i] + b[i], then max(., 0) when relu. Any of the pointers may alias.
void add_f32(int64_t n, const float* a, const float* b, bool relu, float* output);

}  // namespace tvlite::kernels

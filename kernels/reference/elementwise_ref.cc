// ReLU and the residual add. These loops are already what the compiler vectorizes best, so they
// are both the reference and the fast path.
#include <cassert>

#include "tvlite/kernels/elementwise.h"

namespace tvlite::kernels {

void relu_f32(int64_t n, const float* input, float* output) {
  assert(n >= 0);
  for (int64_t i = 0; i < n; ++i) output[i] = input[i] > 0.0f ? input[i] : 0.0f;
}

void add_f32(int64_t n, const float* a, const float* b, bool relu, float* output) {
  assert(n >= 0);
  if (relu) {
    for (int64_t i = 0; i < n; ++i) {
      const float y = a[i] + b[i];
      output[i] = y > 0.0f ? y : 0.0f;
    }
  } else {
    for (int64_t i = 0; i < n; ++i) output[i] = a[i] + b[i];
  }
}

}  // namespace tvlite::kernels

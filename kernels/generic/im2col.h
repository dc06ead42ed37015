// Internal to kernels/: the dense im2col unfold (im2col_f32.cc).
#pragma once
#include <cstddef>

#include "tvlite/kernels/conv2d.h"

namespace tvlite::kernels {

// Bytes of the unfolded matrix of one group, 64-byte rounded.
size_t im2col_f32_bytes(const Conv2dParams& p, int out_h, int out_w);
// Unfolds one group's channels (input points at the group's first channel) into col.
void im2col_f32(const Conv2dParams& p, int in_h, int in_w, int out_h, int out_w,
                const float* input, float* col, Parallel* parallel);

}  // namespace tvlite::kernels

// Max pooling and adaptive average pooling, NCHW, fp32, as torch.nn.MaxPool2d and
// torch.nn.AdaptiveAvgPool2d.
#pragma once
#include <cstdint>

#include "tvlite/kernels/parallel.h"

namespace tvlite::kernels {

struct MaxPool2dParams {
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int pad_h = 0, pad_w = 0;
  int dilation_h = 1, dilation_w = 1;
  bool ceil_mode = false;
};

// PyTorch's pooling_output_shape: floor or ceil of (in + 2p - d(k-1) - 1)/s, + 1, minus one
// when ceil_mode makes the last window start inside the right padding. <= 0 when invalid.
int max_pool2d_output_size(int in, int kernel, int stride, int pad, int dilation, bool ceil_mode);

// input: [channels, in_h, in_w] -> output: [channels, out_h, out_w]. Padding counts as -inf.
void max_pool2d_f32_ref(const MaxPool2dParams& p, int64_t channels, int in_h, int in_w,
                        const float* input, float* output);
// The fast version splits channels across `parallel` when given.
void max_pool2d_f32(const MaxPool2dParams& p, int64_t channels, int in_h, int in_w,
                    const float* input, float* output, Parallel* parallel = nullptr);

// Window i spans [floor(i*in/out), ceil((i+1)*in/out)), also when out > in.
void adaptive_avg_pool2d_f32_ref(int64_t channels, int in_h, int in_w, int out_h, int out_w,
                                 const float* input, float* output);
void adaptive_avg_pool2d_f32(int64_t channels, int in_h, int in_w, int out_h, int out_w,
                             const float* input, float* output);

}  // namespace tvlite::kernels

// The self-test a .tvl carries (format 1.2; schema/README.md, "The self-test"): the network's
// logits for one seeded input, computed here with LibTorch's own operators from the tensors the
// file stores, so that `tvlite-run MODEL.tvl --selftest` can recompute them on the device.
// Plain data in this header: no LibTorch types.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "tvlite/exporter/state_dict.h"
#include "tvlite/schema/manifest.h"

namespace tvlite::exporter {

struct SelfTest {
  int batch = 1, channels = 3, height = 64, width = 64;
  uint64_t seed = 0;
  std::vector<float> input;   // batch x channels x height x width, NCHW
  std::vector<float> logits;  // batch x num_classes
  float tolerance = 0;        // kSelfTestRelTolerance x max(1, max |logit|)
  std::string generator;      // what made input and logits (stored, informative)
};

// Every family accepts 64 x 64 (AlexNet needs 63 at least): small enough that the reference
// costs one fast forward pass at export and the file grows by 48 KiB plus the logits.
constexpr int kSelfTestSize = 64;
constexpr uint64_t kSelfTestSeed = 0x74766c697465ull;  // "tvlite"
// The parity bound of the test suite: max |tvlite - torch| <= 1e-4 x max(1, max |logit|).
constexpr double kSelfTestRelTolerance = 1e-4;

// torchvision's forward pass of `arch` rebuilt with LibTorch operators (at::conv2d, at::batch_norm
// in eval mode, at::relu, at::max_pool2d, at::adaptive_avg_pool2d, at::linear; dropout is the
// identity), on the floating tensors of sd widened or narrowed to float32 exactly as the .tvl
// stores them and the runtime reads them. input: n x 3 x h x w floats; returns n x num_classes.
// sd must have passed check_state_dict. Throws ExportError.
std::vector<float> reference_logits(const schema::ArchConfig& arch, const StateDict& sd, int n,
                                    int h, int w, const float* input);

// The self-test for sd: a 1 x 3 x kSelfTestSize x kSelfTestSize input drawn by at::randn from a
// CPU generator seeded with kSelfTestSeed, its reference_logits and the tolerance.
SelfTest make_selftest(const schema::ArchConfig& arch, const StateDict& sd);

}  // namespace tvlite::exporter

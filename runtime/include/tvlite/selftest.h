// The self-test a .tvl carries from format 1.2 on (schema/README.md, "The self-test"): PyTorch's
// logits for one seeded input, computed by tvlite-export with LibTorch's own operators from the
// file's tensors. Recomputing them here, with this build's kernels on this CPU, shows at once a
// wrong build, a miscompiled or badly dispatched kernel, or a damaged file.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tvlite/model.h"
#include "tvlite/session.h"
#include "tvlite/status.h"

namespace tvlite {

// The reference stored in the file, copied out of its header.
struct SelfTestCase {
  Shape4 shape;                // of the input (batch 1, 3 x 64 x 64 from tvlite-export)
  int64_t classes = 0;         // the model's num_classes
  std::vector<float> input;    // shape.n x shape.c x shape.h x shape.w, NCHW
  std::vector<float> logits;   // shape.n x classes
  double tolerance = 0;        // pass when max |recomputed - logits| <= tolerance
  uint64_t seed = 0;           // informative
  std::string generator;       // informative: what made the reference
};

// Reads the model's self-test. Fails with kUnsupported when the file carries none (a format 1.0
// or 1.1 file, or one exported with --no-selftest: the message says which), and with
// kInvalidFile when its sizes disagree with the model (input not n x 3 x h x w floats, logits not
// n x num_classes, a negative or non-finite tolerance).
Result<SelfTestCase> read_selftest(const Model& model);

struct SelfTestReport {
  Shape4 shape;
  int64_t classes = 0;
  int threads = 1;
  double max_diff = 0;       // max |recomputed - stored| over every logit; +inf for a NaN
  double max_abs_logit = 0;  // max |stored|
  double tolerance = 0;
  bool argmax_equal = false;  // same top class in every row (informative: implied by the bound
                              // unless the stored top two are within 2 x tolerance)
  bool passed = false;        // max_diff <= tolerance
};

// Runs the model once on its self-test input in a Session of `threads` threads and compares.
// An error Status (no self-test, a malformed one, an input size the network refuses) is not a
// report; a report with passed == false is a computation that disagrees with PyTorch.
Result<SelfTestReport> run_selftest(std::shared_ptr<const Model> model, int threads = 1);

}  // namespace tvlite

// Per-op timing of one Session::run, for profilers and benchmarks (tvlite-bench --profile).
// A run given a ProfileSink calls it once per op, in execution order, after the op finished;
// a run without one takes no clock readings and does nothing extra.
#pragma once
#include <cstdint>

namespace tvlite {

// One executed op. Ops are the session's graph after fusion: a ResNet's "layer1.0.conv2" also
// applies its batch norm, the residual add and the ReLU.
struct OpProfile {
  int index = 0;               // position in execution order, 0 .. Session::num_ops() - 1
  const char* name = "";       // state-dict prefix, "layer1.0.conv1"; valid as long as the Session
  const char* kind = "";       // "conv", "batch_norm", "relu", "max_pool", "adaptive_avg_pool",
                               // "add", "linear" (static strings)
  int64_t in_shape[4] = {};    // N, C, H, W of the first input
  int64_t out_shape[4] = {};   // N, C, H, W of the output (linear: N, classes, 1, 1)
  int64_t macs = 0;            // multiply-accumulates of conv / linear as a direct loop would
                               // do them (a Winograd conv does fewer), 0 for the others
  int64_t flops = 0;           // 2 x macs, or one per element (and per window tap) otherwise
  int64_t elapsed_ns = 0;      // wall time of the op, threads included (steady clock)
};

// Receives the ops of a profiled run. on_op() runs on the thread that called Session::run, with
// the run's floating-point mode (denormals flushed); what it does with the record is the
// caller's business (tvlite-bench stores it into memory it reserved before the run).
class ProfileSink {
 public:
  virtual ~ProfileSink() = default;
  virtual void on_op(const OpProfile& op) = 0;
};

}  // namespace tvlite

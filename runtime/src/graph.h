// The network rebuilt from a .tvl: a flat list of ops over numbered activation values.
// Weights are pointers into the model's bytes (borrowed, never copied).
#pragma once
#include <cstdint>
#include <memory_resource>
#include <string>
#include <vector>

#include "tvlite/kernels/conv2d.h"
#include "tvlite/kernels/pool2d.h"
#include "tvlite/model.h"
#include "tvlite/status.h"

namespace tvlite::detail {

enum class OpKind { kConv, kBatchNorm, kRelu, kMaxPool, kAdaptiveAvgPool, kAdd, kLinear };

// Op and Graph are allocator-aware (std::pmr): in a Workspace their vectors and names live there.
struct Op {
  using allocator_type = std::pmr::polymorphic_allocator<char>;
  Op() = default;
  explicit Op(const allocator_type& a) : name(a), scale(a), shift(a) {}
  Op(const Op&) = default;
  Op(Op&&) = default;
  Op& operator=(const Op&) = default;
  Op& operator=(Op&&) = default;
  Op(const Op& o, const allocator_type& a) : Op(a) { *this = o; }  // assignment keeps `a`
  Op(Op&& o, const allocator_type& a) : Op(a) { *this = std::move(o); }

  OpKind kind = OpKind::kRelu;
  std::pmr::string name;       // state-dict prefix, e.g. "layer1.0.conv1", for messages
  int in0 = -1, in1 = -1;      // input values (in1: second operand of kAdd; residual of kConv)
  int out = -1;                // output value; == in0 for in-place ops (batch norm, relu)
  bool relu = false;           // fused ReLU after batch norm / add / conv
  // kConv
  kernels::Conv2dParams conv;
  // kConv, kLinear
  const float* weight = nullptr;
  const float* bias = nullptr;  // may be null
  // kBatchNorm: y = x * scale + shift, folded once at open (tiny: one pair per channel).
  // kConv after fuse_graph(): when scale is not empty, the output is
  // relu?(acc * scale + shift (+ in1)), with the conv's bias already folded into shift
  // (TRAPS 11) and bias unused; when empty, relu?(acc + bias (+ in1)).
  std::pmr::vector<float> scale, shift;
  // kMaxPool
  kernels::MaxPool2dParams pool;
  // kAdaptiveAvgPool
  int out_h = 0, out_w = 0;
  // kLinear
  int64_t in_features = 0, out_features = 0;
};

struct Graph {
  using allocator_type = std::pmr::polymorphic_allocator<char>;
  explicit Graph(const allocator_type& a = {}) : ops(a) {}
  Graph(Graph&&) = default;
  // Everything but the ops.
  void copy_header(const Graph& g) {
    num_values = g.num_values;
    input_value = g.input_value;
    output_value = g.output_value;
    input_channels = g.input_channels;
    num_classes = g.num_classes;
  }

  std::pmr::vector<Op> ops;
  int num_values = 0;
  int input_value = 0;
  int output_value = 0;
  int64_t input_channels = 3;
  int64_t num_classes = 0;
};

// One builder per family; each binds the model's tensors in place.
Status build_resnet(const Model& model, Graph* graph);
Status build_alexnet(const Model& model, Graph* graph);

}  // namespace tvlite::detail

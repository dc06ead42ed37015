#include "graph_builder.h"

#include "tvlite/kernels/batch_norm.h"
#include "tvlite/schema/manifest.h"

namespace tvlite::detail {
namespace {
constexpr float kBatchNormEps = 1e-5f;  // torchvision's BatchNorm2d default for every family
}

Name& Name::append(std::string_view s) {
  for (char c : s) {
    if (n_ + 1 < sizeof s_) s_[n_++] = c;
  }
  return *this;
}

Name& Name::num(int64_t v) {
  n_ = schema::append_decimal(v, s_, n_, sizeof s_);
  return *this;
}

GraphBuilder::GraphBuilder(const Model& model, Graph* graph) : model_(model), graph_(graph) {
  graph_->ops.clear();
  graph_->input_value = 0;
  graph_->num_values = 1;
  graph_->input_channels = model.input().channels;
}

const float* GraphBuilder::f32(std::string_view name) {
  const float* data = model_.f32_data(name);
  if (data == nullptr) {
    if (status_) {
      status_ = Status(Code::kInvalidFile, "missing floating tensor '" + std::string(name) + "'");
    }
  }
  return data;
}

Op& GraphBuilder::append(OpKind kind, std::string_view name, int in) {
  graph_->ops.emplace_back();
  Op& op = graph_->ops.back();
  op.kind = kind;
  op.name = name;
  op.in0 = in;
  op.out = graph_->num_values++;
  return op;
}

int GraphBuilder::conv(std::string_view name, int in, int stride, int pad, int groups,
                       bool has_bias) {
  const Name weight = Name(name) + ".weight";
  const TensorInfo* w = model_.find(weight);
  if (w == nullptr || w->shape.size() != 4) {
    if (status_) {
      status_ = Status(Code::kInvalidFile, "missing 4-D tensor '" + std::string(weight.view()) + "'");
    }
    return in;
  }
  Op& op = append(OpKind::kConv, name, in);
  op.weight = f32(weight);
  op.bias = has_bias ? f32(Name(name) + ".bias") : nullptr;
  op.conv.out_channels = int(w->shape[0]);
  op.conv.in_channels = int(w->shape[1]) * groups;
  op.conv.kernel_h = int(w->shape[2]);
  op.conv.kernel_w = int(w->shape[3]);
  op.conv.stride_h = op.conv.stride_w = stride;
  op.conv.pad_h = op.conv.pad_w = pad;
  op.conv.groups = groups;
  return op.out;
}

int GraphBuilder::batch_norm(std::string_view name, int in, bool relu) {
  const Name n(name);
  const TensorInfo* mean = model_.find(n + ".running_mean");
  const float* gamma = f32(n + ".weight");
  const float* beta = f32(n + ".bias");
  const float* m = f32(n + ".running_mean");
  const float* v = f32(n + ".running_var");
  if (!status_) return in;
  for (const char* part : {".weight", ".bias", ".running_var"}) {
    const TensorInfo* t = model_.find(n + part);
    if (t->shape.size() != 1 || t->numel != mean->numel) {
      status_ = Status(Code::kInvalidFile,
                       "batch norm '" + std::string(name) + "' tensors differ in size");
      return in;
    }
  }
  graph_->ops.emplace_back();
  Op& op = graph_->ops.back();
  op.kind = OpKind::kBatchNorm;
  op.name = name;
  op.in0 = op.out = in;  // in place
  op.relu = relu;
  const int64_t c = mean->numel;
  op.scale.resize(size_t(c));
  op.shift.resize(size_t(c));
  kernels::batch_norm_fold_f32(c, gamma, beta, m, v, kBatchNormEps, op.scale.data(),
                               op.shift.data());
  return in;
}

int GraphBuilder::relu(int in) {
  graph_->ops.emplace_back();
  Op& op = graph_->ops.back();
  op.kind = OpKind::kRelu;
  op.name = "relu";
  op.in0 = op.out = in;
  return in;
}

int GraphBuilder::max_pool(int in, int kernel, int stride, int pad, bool ceil_mode) {
  Op& op = append(OpKind::kMaxPool, "maxpool", in);
  op.pool.kernel_h = op.pool.kernel_w = kernel;
  op.pool.stride_h = op.pool.stride_w = stride;
  op.pool.pad_h = op.pool.pad_w = pad;
  op.pool.ceil_mode = ceil_mode;
  return op.out;
}

int GraphBuilder::adaptive_avg_pool(int in, int out_h, int out_w) {
  Op& op = append(OpKind::kAdaptiveAvgPool, "avgpool", in);
  op.out_h = out_h;
  op.out_w = out_w;
  return op.out;
}

int GraphBuilder::add(int a, int b, bool relu) {
  Op& op = append(OpKind::kAdd, "add", a);
  op.in1 = b;
  op.relu = relu;
  return op.out;
}

int GraphBuilder::linear(std::string_view name, int in) {
  const Name weight = Name(name) + ".weight";
  const TensorInfo* w = model_.find(weight);
  if (w == nullptr || w->shape.size() != 2) {
    if (status_) {
      status_ = Status(Code::kInvalidFile, "missing 2-D tensor '" + std::string(weight.view()) + "'");
    }
    return in;
  }
  Op& op = append(OpKind::kLinear, name, in);
  op.weight = f32(weight);
  op.bias = f32(Name(name) + ".bias");
  op.out_features = w->shape[0];
  op.in_features = w->shape[1];
  return op.out;
}

void GraphBuilder::finish(int out) {
  graph_->output_value = out;
  if (!graph_->ops.empty() && graph_->ops.back().kind == OpKind::kLinear) {
    graph_->num_classes = graph_->ops.back().out_features;
  }
}

}  // namespace tvlite::detail

#include "op_profile.h"

namespace tvlite::detail {
namespace {

const char* kind_name(OpKind kind) {
  switch (kind) {
    case OpKind::kConv: return "conv";
    case OpKind::kBatchNorm: return "batch_norm";
    case OpKind::kRelu: return "relu";
    case OpKind::kMaxPool: return "max_pool";
    case OpKind::kAdaptiveAvgPool: return "adaptive_avg_pool";
    case OpKind::kAdd: return "add";
    case OpKind::kLinear: return "linear";
  }
  return "unknown";
}

void copy_shape(const ValueShape& s, int64_t* d) {
  d[0] = s.n;
  d[1] = s.c;
  d[2] = s.h;
  d[3] = s.w;
}

}  // namespace

void describe_op(const Op& op, int index, const ValueShape& in, const ValueShape& out,
                 OpProfile* r) {
  r->index = index;
  r->name = op.name.c_str();
  r->kind = kind_name(op.kind);
  copy_shape(in, r->in_shape);
  copy_shape(out, r->out_shape);
  r->macs = 0;
  switch (op.kind) {
    case OpKind::kConv: {
      const kernels::Conv2dParams& p = op.conv;
      const int64_t per_output = int64_t(p.in_channels / (p.groups > 0 ? p.groups : 1)) *
                                 p.kernel_h * p.kernel_w;
      r->macs = out.numel() * per_output;
      r->flops = 2 * r->macs;
      break;
    }
    case OpKind::kLinear:
      r->macs = in.n * op.in_features * op.out_features;
      r->flops = 2 * r->macs;
      break;
    case OpKind::kMaxPool:
      r->flops = out.numel() * op.pool.kernel_h * op.pool.kernel_w;
      break;
    case OpKind::kBatchNorm:
      r->flops = 2 * out.numel();
      break;
    case OpKind::kAdaptiveAvgPool:
      r->flops = in.numel();
      break;
    case OpKind::kRelu:
    case OpKind::kAdd:
      r->flops = out.numel();
      break;
  }
}

}  // namespace tvlite::detail

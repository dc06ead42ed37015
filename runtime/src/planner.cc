#include "planner.h"

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <string>

#include "tvlite/kernels/conv2d.h"

namespace tvlite::detail {
namespace {

constexpr size_t kAlign = 64;
constexpr int64_t kMaxElements = int64_t(1) << 40;  // far beyond any real activation

// Byte counts are computed in 64 bits: size_t is 32 bits on armv7, where 2^40 elements would
// wrap to a small arena. The total is checked against the address space at the end.
uint64_t align_up(uint64_t x) { return (x + kAlign - 1) / kAlign * kAlign; }

std::string dims(const ValueShape& s) {
  return std::to_string(s.n) + "x" + std::to_string(s.c) + "x" + std::to_string(s.h) + "x" +
         std::to_string(s.w);
}

Status too_small(const Op& op, const ValueShape& in) {
  return Status(Code::kInvalidArgument, "input is too small: " + std::string(op.name) + " gets " + dims(in) +
                                            " and would produce an empty output");
}

// Output shape of one op, or an error naming the op.
Status infer(const Op& op, const ValueShape& in, ValueShape* out) {
  *out = in;
  switch (op.kind) {
    case OpKind::kConv: {
      const kernels::Conv2dParams& p = op.conv;
      if (in.c != p.in_channels) {
        return Status(Code::kInvalidArgument, std::string(op.name) + " expects " + std::to_string(p.in_channels) +
                                                  " channels, gets " + std::to_string(in.c));
      }
      out->c = p.out_channels;
      out->h = kernels::conv2d_output_size(int(in.h), p.kernel_h, p.stride_h, p.pad_h, p.dilation_h);
      out->w = kernels::conv2d_output_size(int(in.w), p.kernel_w, p.stride_w, p.pad_w, p.dilation_w);
      break;
    }
    case OpKind::kMaxPool: {
      const kernels::MaxPool2dParams& p = op.pool;
      out->h = kernels::max_pool2d_output_size(int(in.h), p.kernel_h, p.stride_h, p.pad_h,
                                               p.dilation_h, p.ceil_mode);
      out->w = kernels::max_pool2d_output_size(int(in.w), p.kernel_w, p.stride_w, p.pad_w,
                                               p.dilation_w, p.ceil_mode);
      break;
    }
    case OpKind::kAdaptiveAvgPool:
      out->h = op.out_h;
      out->w = op.out_w;
      break;
    case OpKind::kLinear:
      if (in.c * in.h * in.w != op.in_features) {
        return Status(Code::kInvalidArgument,
                      std::string(op.name) + " expects " + std::to_string(op.in_features) +
                          " features, gets " + dims(in) + " flattened");
      }
      out->c = op.out_features;
      out->h = out->w = 1;
      break;
    case OpKind::kBatchNorm:
    case OpKind::kRelu:
    case OpKind::kAdd:
      break;
  }
  if (out->h <= 0 || out->w <= 0) return too_small(op, in);
  return Status::ok();
}

}  // namespace

Status plan_graph(const Graph& graph, const Shape4& input, int threads, Plan* plan) {
  if (input.n < 1 || input.c < 1 || input.h < 1 || input.w < 1 || input.n > 65536 ||
      input.h > 16384 || input.w > 16384) {
    return Status(Code::kInvalidArgument, "input shape " + std::to_string(input.n) + "x" +
                                              std::to_string(input.c) + "x" + std::to_string(input.h) +
                                              "x" + std::to_string(input.w) + " is out of range");
  }
  if (input.c != graph.input_channels) {
    return Status(Code::kInvalidArgument, "model takes " + std::to_string(graph.input_channels) +
                                              " input channels, input has " + std::to_string(input.c));
  }
  const size_t nv = size_t(graph.num_values);
  // Temporaries too come from the plan's resource (a Workspace, or the heap).
  std::pmr::memory_resource* memory = plan->shapes.get_allocator().resource();
  plan->input = input;
  plan->shapes.assign(nv, ValueShape{});
  plan->shapes[size_t(graph.input_value)] = {input.n, input.c, input.h, input.w};
  std::pmr::vector<int> first(nv, -1, memory), last(nv, -1, memory);
  size_t scratch = 0;
  for (size_t i = 0; i < graph.ops.size(); ++i) {
    const Op& op = graph.ops[i];
    const ValueShape in = plan->shapes[size_t(op.in0)];
    if (op.kind == OpKind::kAdd) {
      const ValueShape& b = plan->shapes[size_t(op.in1)];
      if (b.c != in.c || b.h != in.h || b.w != in.w) {
        return Status(Code::kInvalidArgument, "residual add of " + dims(in) + " and " + dims(b));
      }
      last[size_t(op.in1)] = int(i);
    }
    ValueShape out;
    TVLITE_RETURN_IF_ERROR(infer(op, in, &out));
    if (op.kind == OpKind::kConv && op.in1 >= 0) {
      // A fused residual: read while the output is written, so the two never share memory.
      const ValueShape& r = plan->shapes[size_t(op.in1)];
      if (r.n != out.n || r.c != out.c || r.h != out.h || r.w != out.w) {
        return Status(Code::kInvalidArgument,
                      "residual add of " + dims(out) + " and " + dims(r) + " after " + std::string(op.name));
      }
      last[size_t(op.in1)] = int(i);
    }
    if (out.numel() > kMaxElements) {
      return Status(Code::kInvalidArgument, "input is too large: " + std::string(op.name) + " output " + dims(out));
    }
    last[size_t(op.in0)] = int(i);
    if (first[size_t(op.out)] < 0) first[size_t(op.out)] = int(i);
    last[size_t(op.out)] = std::max(last[size_t(op.out)], int(i));
    plan->shapes[size_t(op.out)] = out;
    if (op.kind == OpKind::kConv) {
      scratch = std::max(scratch, kernels::conv2d_f32_scratch_bytes(op.conv, int(in.h), int(in.w),
                                                                    threads));
    }
  }
  last[size_t(graph.output_value)] = int(graph.ops.size());

  // Place values largest first; each at the lowest offset free over its whole lifetime.
  std::pmr::vector<size_t> order(memory);
  order.reserve(nv);
  for (size_t v = 0; v < nv; ++v) {
    if (int(v) != graph.input_value && first[v] >= 0) order.push_back(v);
  }
  // As a stable sort would (ties in value order), without its temporary heap buffer.
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const int64_t na = plan->shapes[a].numel(), nb = plan->shapes[b].numel();
    return na != nb ? na > nb : a < b;
  });
  plan->offsets.assign(nv, 0);
  struct Placed { uint64_t begin, end; int first, last; };
  std::pmr::vector<Placed> placed(memory);
  placed.reserve(order.size());
  std::pmr::vector<std::pair<uint64_t, uint64_t>> busy(memory);
  busy.reserve(order.size());
  uint64_t top = 0;
  for (size_t v : order) {
    const uint64_t bytes = align_up(uint64_t(plan->shapes[v].numel()) * sizeof(float));
    busy.clear();
    for (const Placed& p : placed) {
      if (p.first <= last[v] && first[v] <= p.last) busy.emplace_back(p.begin, p.end);
    }
    std::sort(busy.begin(), busy.end());
    uint64_t offset = 0;
    for (const auto& [b, e] : busy) {
      if (offset + bytes <= b) break;
      offset = std::max(offset, e);
    }
    plan->offsets[v] = size_t(offset);  // < top, checked below
    placed.push_back({offset, offset + bytes, first[v], last[v]});
    top = std::max(top, offset + bytes);
  }
  const uint64_t scratch_bytes = align_up(scratch);
  if (top > uint64_t(SIZE_MAX) / 4 || scratch_bytes > uint64_t(SIZE_MAX) / 4) {
    return Status(Code::kOutOfMemory, "input " + dims(plan->shapes[size_t(graph.input_value)]) +
                                          " needs an arena of " + std::to_string(top + scratch_bytes) +
                                          " bytes, more than this machine can address");
  }
  plan->activation_bytes = size_t(top);
  plan->scratch_offset = size_t(top);
  plan->scratch_bytes = size_t(scratch_bytes);
  plan->arena_bytes = size_t(top + scratch_bytes);
  return Status::ok();
}

}  // namespace tvlite::detail

#include "tvlite/session.h"

#include <cstring>
#include <new>

#include "fuse.h"
#include "graph.h"
#include "planner.h"
#include "thread_pool.h"
#include "tvlite/kernels/batch_norm.h"
#include "tvlite/kernels/conv2d.h"
#include "tvlite/kernels/cpu.h"
#include "tvlite/kernels/elementwise.h"
#include "tvlite/kernels/linear.h"
#include "tvlite/kernels/pool2d.h"

namespace tvlite {

using detail::Graph;
using detail::Op;
using detail::OpKind;
using detail::Plan;
using detail::ValueShape;

struct Session::Impl {
  std::shared_ptr<const Model> model;
  // The model's graph after fuse_graph(): what this session plans and runs.
  Graph graph;
  detail::ThreadPool pool;
  Plan plan;
  bool planned = false;
  // One allocation for all activations and scratch, 64-byte aligned inside.
  std::unique_ptr<uint8_t[]> arena_storage;
  uint8_t* arena = nullptr;

  Impl(std::shared_ptr<const Model> m, int threads)
      : model(std::move(m)), graph(detail::fuse_graph(model->graph())), pool(threads) {}

  float* value(int v, const float* input) {
    if (v == graph.input_value) return const_cast<float*>(input);  // read-only use
    return reinterpret_cast<float*>(arena + plan.offsets[size_t(v)]);
  }
  void run_op(const Op& op, const float* input);
};

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;

Result<std::unique_ptr<Session>> Session::create(std::shared_ptr<const Model> model,
                                                 const SessionOptions& options) {
  if (!model) return Status(Code::kInvalidArgument, "null model");
  if (options.threads < 1 || options.threads > 256) {
    return Status(Code::kInvalidArgument,
                  "threads must be in [1, 256], got " + std::to_string(options.threads));
  }
  try {
    return std::unique_ptr<Session>(
        new Session(std::make_unique<Impl>(std::move(model), options.threads)));
  } catch (const std::exception& e) {
    return Status(Code::kOutOfMemory, std::string("cannot create session: ") + e.what());
  }
}

int64_t Session::num_classes() const { return impl_->graph.num_classes; }
size_t Session::arena_bytes() const { return impl_->planned ? impl_->plan.arena_bytes : 0; }
int Session::threads() const { return impl_->pool.num_threads(); }

Status Session::prepare(const Shape4& shape) {
  Impl& s = *impl_;
  if (s.planned && s.plan.input.n == shape.n && s.plan.input.c == shape.c &&
      s.plan.input.h == shape.h && s.plan.input.w == shape.w) {
    return Status::ok();
  }
  s.planned = false;
  Plan plan;
  TVLITE_RETURN_IF_ERROR(detail::plan_graph(s.graph, shape, s.pool.num_threads(), &plan));
  if (plan.arena_bytes > (size_t(1) << 40)) {
    return Status(Code::kOutOfMemory, "arena of " + std::to_string(plan.arena_bytes) + " bytes");
  }
  s.arena_storage.reset();
  s.arena_storage.reset(new (std::nothrow) uint8_t[plan.arena_bytes + 64]);
  if (!s.arena_storage) {
    return Status(Code::kOutOfMemory,
                  "cannot allocate an arena of " + std::to_string(plan.arena_bytes) + " bytes");
  }
  uint8_t* p = s.arena_storage.get();
  s.arena = p + (64 - reinterpret_cast<uintptr_t>(p) % 64) % 64;
  s.plan = std::move(plan);
  s.planned = true;
  return Status::ok();
}

void Session::Impl::run_op(const Op& op, const float* input) {
  const ValueShape& in = plan.shapes[size_t(op.in0)];
  const ValueShape& out = plan.shapes[size_t(op.out)];
  const float* x = value(op.in0, input);
  float* y = value(op.out, input);
  const int64_t in_image = in.c * in.h * in.w, out_image = out.c * out.h * out.w;
  switch (op.kind) {
    case OpKind::kConv: {
      kernels::GemmEpilogue ep;
      ep.scale = op.scale.empty() ? nullptr : op.scale.data();
      ep.shift = op.scale.empty() ? op.bias : op.shift.data();
      ep.relu = op.relu;
      ep.ldr = out.h * out.w;
      const float* residual = op.in1 >= 0 ? value(op.in1, input) : nullptr;
      for (int64_t n = 0; n < in.n; ++n) {
        ep.residual = residual != nullptr ? residual + n * out_image : nullptr;
        kernels::conv2d_f32_epilogue(op.conv, int(in.h), int(in.w), x + n * in_image, op.weight,
                                     ep, y + n * out_image, arena + plan.scratch_offset, &pool);
      }
      break;
    }
    case OpKind::kBatchNorm:
      for (int64_t n = 0; n < in.n; ++n) {
        kernels::batch_norm_f32(in.c, in.h * in.w, x + n * in_image, op.scale.data(),
                                op.shift.data(), op.relu, y + n * in_image);
      }
      break;
    case OpKind::kRelu:
      kernels::relu_f32(in.numel(), x, y);
      break;
    case OpKind::kMaxPool:
      for (int64_t n = 0; n < in.n; ++n) {
        kernels::max_pool2d_f32(op.pool, in.c, int(in.h), int(in.w), x + n * in_image,
                                y + n * out_image, &pool);
      }
      break;
    case OpKind::kAdaptiveAvgPool:
      for (int64_t n = 0; n < in.n; ++n) {
        kernels::adaptive_avg_pool2d_f32(in.c, int(in.h), int(in.w), op.out_h, op.out_w,
                                         x + n * in_image, y + n * out_image);
      }
      break;
    case OpKind::kAdd:
      kernels::add_f32(in.numel(), x, value(op.in1, input), op.relu, y);
      break;
    case OpKind::kLinear:
      kernels::linear_f32(in.n, op.in_features, op.out_features, x, op.weight, op.bias, y, &pool);
      break;
  }
}

Status Session::run(const Shape4& shape, const float* input, float* output) {
  if (input == nullptr || output == nullptr) {
    return Status(Code::kInvalidArgument, "null input or output");
  }
  TVLITE_RETURN_IF_ERROR(prepare(shape));
  Impl& s = *impl_;
  // TRAPS 12: subnormal weights must not cost more. The caller's mode is restored after.
  const bool caller_flushes = kernels::flush_denormals_enabled();
  kernels::set_flush_denormals(true);
  const Graph& g = s.graph;
  for (const Op& op : g.ops) s.run_op(op, input);
  kernels::set_flush_denormals(caller_flushes);
  const ValueShape& o = s.plan.shapes[size_t(g.output_value)];
  std::memcpy(output, s.value(g.output_value, input), size_t(o.numel()) * sizeof(float));
  return Status::ok();
}

}  // namespace tvlite

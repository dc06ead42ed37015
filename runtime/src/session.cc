#include "tvlite/session.h"

#include <chrono>
#include <cstring>
#include <new>

#include "fuse.h"
#include "graph.h"
#include "memory.h"
#include "op_profile.h"
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
  // Everything below lives in `memory`: the heap, or the caller's Workspace.
  std::pmr::memory_resource* memory;
  bool in_workspace;
  std::shared_ptr<const Model> model;
  // The model's graph after fuse_graph(): what this session plans and runs.
  Graph graph;
  detail::ThreadPool pool;
  Plan plan;
  bool planned = false;
  // One allocation for all activations and scratch, 64-byte aligned.
  uint8_t* arena = nullptr;
  size_t arena_size = 0;

  Impl(std::shared_ptr<const Model> m, int threads, Workspace* workspace)
      : memory(workspace != nullptr ? static_cast<std::pmr::memory_resource*>(workspace)
                                    : std::pmr::new_delete_resource()),
        in_workspace(workspace != nullptr),
        model(std::move(m)),
        graph(detail::fuse_graph(model->graph(), memory)),
        pool(threads, memory),
        plan(memory) {}
  ~Impl() { release_arena(); }
  void release_arena() {
    if (arena != nullptr && in_workspace) memory->deallocate(arena, arena_size, 64);
    if (arena != nullptr && !in_workspace) ::operator delete(arena, std::align_val_t(64));
    arena = nullptr;
    arena_size = 0;
  }

  static void* operator new(size_t size, std::pmr::memory_resource* m) {
    return detail::new_in(size, m == std::pmr::new_delete_resource() ? nullptr : m);
  }
  static void operator delete(void* p, std::pmr::memory_resource*) {
    detail::delete_in(p, sizeof(Impl));
  }
  static void operator delete(void* p, size_t size) { detail::delete_in(p, size); }

  float* value(int v, const float* input) {
    if (v == graph.input_value) return const_cast<float*>(input);  // read-only use
    return reinterpret_cast<float*>(arena + plan.offsets[size_t(v)]);
  }
  void run_op(const Op& op, const float* input);
  void run_profiled(int index, const float* input, ProfileSink* profile) {
    const Op& op = graph.ops[size_t(index)];
    OpProfile record;
    detail::describe_op(op, index, plan.shapes[size_t(op.in0)], plan.shapes[size_t(op.out)],
                        &record);
    const auto t0 = std::chrono::steady_clock::now();
    run_op(op, input);
    record.elapsed_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now() - t0).count();
    profile->on_op(record);
  }
};

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;

void* Session::operator new(size_t size, std::pmr::memory_resource* memory) {
  return detail::new_in(size, memory == std::pmr::new_delete_resource() ? nullptr : memory);
}
void Session::operator delete(void* p, std::pmr::memory_resource*) {
  detail::delete_in(p, sizeof(Session));
}
void Session::operator delete(void* p, size_t size) { detail::delete_in(p, size); }

Result<std::unique_ptr<Session>> Session::create(std::shared_ptr<const Model> model,
                                                 const SessionOptions& options) {
  if (!model) return Status(Code::kInvalidArgument, "null model");
  if (options.threads < 1 || options.threads > 256) {
    return Status(Code::kInvalidArgument,
                  "threads must be in [1, 256], got " + std::to_string(options.threads));
  }
  std::pmr::memory_resource* memory = options.workspace;
  if (memory == nullptr) memory = std::pmr::new_delete_resource();
  return detail::catch_oom<Result<std::unique_ptr<Session>>>("cannot create session", [&]() -> Result<std::unique_ptr<Session>> {
    std::unique_ptr<Impl> impl(new (memory) Impl(std::move(model), options.threads,
                                                 options.workspace));
    return std::unique_ptr<Session>(new (memory) Session(std::move(impl)));
  });
}

int64_t Session::num_classes() const { return impl_->graph.num_classes; }
size_t Session::arena_bytes() const { return impl_->planned ? impl_->plan.arena_bytes : 0; }
int Session::threads() const { return impl_->pool.num_threads(); }
int Session::num_ops() const { return int(impl_->graph.ops.size()); }

Status Session::prepare(const Shape4& shape) {
  Impl& s = *impl_;
  if (s.planned && s.plan.input.n == shape.n && s.plan.input.c == shape.c &&
      s.plan.input.h == shape.h && s.plan.input.w == shape.w) {
    return Status::ok();
  }
  if (s.in_workspace && s.arena != nullptr) {
    // A workspace is monotonic: a second plan would not reuse the first one's bytes.
    const Shape4& p = s.plan.input;
    return Status(Code::kInvalidArgument,
                  "this session's workspace was planned for " + std::to_string(p.n) + "x" +
                      std::to_string(p.c) + "x" + std::to_string(p.h) + "x" + std::to_string(p.w) +
                      "; create another session for " + std::to_string(shape.n) + "x" +
                      std::to_string(shape.c) + "x" + std::to_string(shape.h) + "x" +
                      std::to_string(shape.w));
  }
  s.planned = false;
  return detail::catch_oom<Status>("cannot plan the session", [&]() -> Status {
    Plan plan(s.memory);
    TVLITE_RETURN_IF_ERROR(detail::plan_graph(s.graph, shape, s.pool.num_threads(), &plan));
    if (uint64_t(plan.arena_bytes) > (uint64_t(1) << 40)) {  // 64-bit: size_t is 32 on armv7
      return Status(Code::kOutOfMemory, "arena of " + std::to_string(plan.arena_bytes) + " bytes");
    }
    s.release_arena();
    const Status allocated = detail::catch_oom<Status>("", [&] {
      // On the heap, nothrow: a failed arena is a Status even where new cannot throw (the
      // sanitizers' operator new aborts instead).
      s.arena = static_cast<uint8_t*>(
          s.in_workspace ? s.memory->allocate(plan.arena_bytes, 64)
                         : ::operator new(plan.arena_bytes, std::align_val_t(64), std::nothrow));
      if (s.arena == nullptr) return Status(Code::kOutOfMemory, "");
      s.arena_size = plan.arena_bytes;
      return Status::ok();
    });
    if (!allocated) {
      return Status(Code::kOutOfMemory, "cannot allocate an arena of " +
                                            std::to_string(plan.arena_bytes) + " bytes" +
                                            (s.in_workspace ? " in the workspace" : ""));
    }
    s.plan = std::move(plan);
    s.planned = true;
    return Status::ok();
  });
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
  return run(shape, input, output, nullptr);
}

Status Session::run(const Shape4& shape, const float* input, float* output,
                    ProfileSink* profile) {
  if (input == nullptr || output == nullptr) {
    return Status(Code::kInvalidArgument, "null input or output");
  }
  TVLITE_RETURN_IF_ERROR(prepare(shape));
  Impl& s = *impl_;
  // TRAPS 12: subnormal weights must not cost more. The caller's mode is restored after.
  const bool caller_flushes = kernels::flush_denormals_enabled();
  kernels::set_flush_denormals(true);
  const Graph& g = s.graph;
  if (profile == nullptr) {
    for (const Op& op : g.ops) s.run_op(op, input);
  } else {
    for (size_t i = 0; i < g.ops.size(); ++i) s.run_profiled(int(i), input, profile);
  }
  kernels::set_flush_denormals(caller_flushes);
  const ValueShape& o = s.plan.shapes[size_t(g.output_value)];
  std::memcpy(output, s.value(g.output_value, input), size_t(o.numel()) * sizeof(float));
  return Status::ok();
}

}  // namespace tvlite

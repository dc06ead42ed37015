// Runs an opened Model. A Session owns its activation arena and threads; one Model can be shared
// by many Sessions (each on its own thread) at once.
#pragma once
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "tvlite/model.h"
#include "tvlite/profile.h"
#include "tvlite/status.h"

namespace tvlite {

struct Shape4 {
  int64_t n = 1, c = 3, h = 224, w = 224;
};

// "NxCxHxW" (e.g. "1x3x224x224", as the tools take --shape): each dimension a decimal in
// [1, kMaxShapeDim], nothing before or after. False on anything else; *shape is then unchanged.
// Whether the network accepts the shape is prepare()'s to say.
constexpr int64_t kMaxShapeDim = int64_t(1) << 20;
bool parse_shape(std::string_view text, Shape4* shape);

struct SessionOptions {
  int threads = 1;  // >= 1; ignored (1) in a build without threads
  // Where the session's graph, plan and activation arena live: the heap when null, else the
  // caller's Workspace (which must outlive the Session). With a workspace, create (threads == 1),
  // prepare and run make no heap allocation; with threads > 1 the worker threads are started at
  // create (the C++ library allocates their state), and run still allocates nothing. A session in
  // a workspace is planned for one input shape: prepare/run with another is kInvalidArgument.
  Workspace* workspace = nullptr;
};

class Session {
 public:
  static Result<std::unique_ptr<Session>> create(std::shared_ptr<const Model> model,
                                                 const SessionOptions& options = {});
  ~Session();

  // Plans activation memory for inputs of `shape` (done by run() when the shape changes).
  // Fails with kInvalidArgument when the architecture cannot take that shape.
  Status prepare(const Shape4& shape);

  // input: shape.n x shape.c x shape.h x shape.w floats (NCHW); output: shape.n x num_classes.
  Status run(const Shape4& shape, const float* input, float* output);
  // The same, calling profile->on_op() after each op (see tvlite/profile.h); allocates nothing
  // more than run(). A null profile is run() itself.
  Status run(const Shape4& shape, const float* input, float* output, ProfileSink* profile);

  int64_t num_classes() const;
  size_t arena_bytes() const;  // of the last prepared shape
  int threads() const;
  int num_ops() const;  // ops one run executes (after fusion): the records a profiled run reports

  // A Session lives in its memory resource (the heap or a Workspace); delete returns it there.
  static void* operator new(size_t size, std::pmr::memory_resource* memory);
  static void operator delete(void* p, std::pmr::memory_resource* memory);
  static void operator delete(void* p, size_t size);

 private:
  struct Impl;
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tvlite

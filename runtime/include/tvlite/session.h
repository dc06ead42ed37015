// Runs an opened Model. A Session owns its activation arena and threads; one Model can be shared
// by many Sessions (each on its own thread) at once.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "tvlite/model.h"
#include "tvlite/status.h"

namespace tvlite {

struct Shape4 {
  int64_t n = 1, c = 3, h = 224, w = 224;
};

struct SessionOptions {
  int threads = 1;  // >= 1; ignored (1) in a build without threads
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

  int64_t num_classes() const;
  size_t arena_bytes() const;  // of the last prepared shape
  int threads() const;

 private:
  struct Impl;
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tvlite

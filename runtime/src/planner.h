// Shapes and memory for one input shape: every activation value gets a byte range in one arena,
// reused as soon as its last reader has run (greedy by size, first fit in address order).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <vector>

#include "graph.h"
#include "tvlite/session.h"

namespace tvlite::detail {

struct ValueShape {
  int64_t n = 0, c = 0, h = 0, w = 0;
  int64_t numel() const { return n * c * h * w; }
};

// The plan's vectors, and plan_graph()'s temporaries, live in the plan's memory resource.
struct Plan {
  explicit Plan(std::pmr::memory_resource* memory = std::pmr::get_default_resource())
      : shapes(memory), offsets(memory) {}
  Shape4 input;
  std::pmr::vector<ValueShape> shapes;  // per value
  std::pmr::vector<size_t> offsets;     // per value, into the arena (input value: unused)
  size_t activation_bytes = 0;
  size_t scratch_offset = 0;       // conv scratch lives after the activations
  size_t scratch_bytes = 0;
  size_t arena_bytes = 0;
};

Status plan_graph(const Graph& graph, const Shape4& input, int threads, Plan* plan);

}  // namespace tvlite::detail

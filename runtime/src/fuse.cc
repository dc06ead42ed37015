#include "fuse.h"

#include <cstddef>

namespace tvlite::detail {
namespace {

// How many ops read value v, anywhere in the graph (the graph output counts as a reader).
int readers(const Graph& g, int v) {
  int n = g.output_value == v ? 1 : 0;
  for (const Op& op : g.ops) {
    if (op.in0 == v && op.out != v) ++n;  // an in-place op rewrites v; it is not a new reader
    if (op.in1 == v) ++n;
  }
  return n;
}

}  // namespace

Graph fuse_graph(const Graph& graph, std::pmr::memory_resource* memory) {
  const Graph::allocator_type alloc(memory);
  Graph out(alloc);
  out.copy_header(graph);
  out.ops.reserve(graph.ops.size());
  const std::pmr::vector<Op>& ops = graph.ops;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].kind != OpKind::kConv || ops[i].in1 >= 0) {
      out.ops.push_back(ops[i]);
      continue;
    }
    Op conv(ops[i], alloc);
    const int v = conv.out;
    size_t j = i + 1;
    // Conv -> BatchNorm (in place on v): fold into scale/shift; the bias goes into shift.
    if (j < ops.size() && ops[j].kind == OpKind::kBatchNorm && ops[j].in0 == v &&
        ops[j].scale.size() == size_t(conv.conv.out_channels)) {
      const Op& bn = ops[j];
      conv.scale = bn.scale;
      conv.shift = bn.shift;
      if (conv.bias != nullptr) {
        // (b - mean) * gamma / sqrt(var + eps) + beta = b * scale + shift.
        for (size_t c = 0; c < conv.shift.size(); ++c) {
          conv.shift[c] = conv.bias[c] * conv.scale[c] + conv.shift[c];
        }
      }
      conv.bias = nullptr;
      conv.relu = bn.relu;
      ++j;
    }
    // -> ReLU (in place on v).
    if (!conv.relu && j < ops.size() && ops[j].kind == OpKind::kRelu && ops[j].in0 == v) {
      conv.relu = true;
      ++j;
    }
    // -> Add(v, other) with v read by nobody else: the add's output becomes the conv's.
    if (!conv.relu && j < ops.size() && ops[j].kind == OpKind::kAdd &&
        (ops[j].in0 == v) != (ops[j].in1 == v) && readers(graph, v) == 1 &&
        (ops[j].in0 == v ? ops[j].in1 : ops[j].in0) != graph.input_value) {
      const Op& add = ops[j];
      conv.in1 = add.in0 == v ? add.in1 : add.in0;
      conv.out = add.out;
      conv.relu = add.relu;
      ++j;
    }
    out.ops.push_back(std::move(conv));
    i = j - 1;
  }
  return out;
}

}  // namespace tvlite::detail

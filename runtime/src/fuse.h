// The fusion pass: rewrites a built graph so each Conv->BatchNorm(->ReLU) and
// Conv->BatchNorm->Add(->ReLU) chain (and Conv->ReLU, Conv->Add) becomes one kConv whose
// epilogue applies the folded batch norm as a per-channel scale/shift, the residual and the ReLU
// while the GEMM's output tile is still in registers. Weights are not touched (they stay
// borrowed from the mapping); only the per-channel scale/shift pairs are new.
#pragma once

#include "graph.h"

namespace tvlite::detail {

// Returns the fused copy of `graph`; the unfused graph stays the reference. Values that fusion
// makes dead (a conv's output consumed only by its add) are simply never produced. The copy's
// ops, names and scale/shift vectors are allocated from `memory`.
Graph fuse_graph(const Graph& graph, std::pmr::memory_resource* memory);

}  // namespace tvlite::detail

// What a profiled run reports about each op besides its time (see tvlite/profile.h).
#pragma once
#include "graph.h"
#include "planner.h"
#include "tvlite/profile.h"

namespace tvlite::detail {

// Fills everything of `record` but elapsed_ns. Allocates nothing.
void describe_op(const Op& op, int index, const ValueShape& in, const ValueShape& out,
                 OpProfile* record);

}  // namespace tvlite::detail

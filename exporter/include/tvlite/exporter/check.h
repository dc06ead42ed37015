// Checking a state dict against an architecture's manifest, like PyTorch's
// load_state_dict(strict=True).
#pragma once
#include <string>
#include <vector>

#include "tvlite/exporter/state_dict.h"
#include "tvlite/schema/manifest.h"

namespace tvlite::exporter {

// One line per problem, in the manifest's order: "missing key ...", "unexpected key ...",
// "size mismatch for fc.weight: file has [10, 512], resnet18 expects [1000, 512]", dtype errors.
// An absent num_batches_tracked is not a problem (TRAPS 4). Empty when the state dict fits.
std::vector<std::string> check_state_dict(const StateDict& sd, const schema::ArchConfig& arch);

}  // namespace tvlite::exporter

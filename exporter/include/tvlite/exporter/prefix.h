// Models kept inside a larger module: a Lightning module's `backbone.`, an encoder's `encoder.`,
// a teacher/student pair's `student.`. `--prefix P` exports the keys under P.
#pragma once
#include <string>
#include <vector>

#include "tvlite/exporter/state_dict.h"

namespace tvlite::exporter {

// Keeps the tensors under `module` (a module path: "backbone" and "backbone." are the same),
// with "module." removed from their names; the others are dropped and counted in *dropped.
// A leading `module.` / `model.` the readers already stripped from every key may be given too
// ("model.backbone." finds "backbone."); *used (if not null) receives the prefix matched.
// Throws ExportError, naming the prefixes that hold a known network, when no key is under it.
StateDict select_prefix(StateDict sd, const std::string& module, size_t* dropped,
                        std::string* used = nullptr);

// Prefixes P (ending in '.') under which the keys hold the stem of a network tvlite knows:
// P + "conv1.weight" with P + "layer1.0.conv1.weight", or P + "features.0.weight" with
// P + "classifier.1.weight" or "classifier.0.weight". For the error that suggests --prefix.
std::vector<std::string> model_prefixes(const StateDict& sd);

}  // namespace tvlite::exporter

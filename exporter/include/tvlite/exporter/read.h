// Readers: one per container that torch.save / torch.jit.save produce. Each returns the state
// dict or throws ExportError with a message that says what the file is and what was wrong.
// Nothing here executes code from the file: pickles are interpreted by a strict unpickler that
// knows only the handful of torch/collections globals a state dict uses.
#pragma once
#include <string>

#include "tvlite/exporter/state_dict.h"

namespace tvlite::exporter {

enum class Container {
  kZipStateDict,  // torch.save since 1.6: zip with <archive>/data.pkl and <archive>/data/<key>
  kTorchScript,   // torch.jit.save: zip that also has constants.pkl and code/
  kLegacy,        // torch.save(..., _use_new_zipfile_serialization=False): a pickle sequence
};

const char* container_name(Container c);

// Decides the container from the file's content, never its extension (TRAPS 6).
Container sniff_container(const std::string& path);

// Dispatches on sniff_container.
StateDict read_model_file(const std::string& path);

// A zip written by torch.save. The state dict may be the top-level dict or sit under one of
// state_dict, model_state_dict, model, net (checkpoint dicts); a `module.` prefix is stripped.
StateDict read_zip_state_dict(const std::string& path);
// A TorchScript archive: parameters and buffers of every submodule, in state_dict() order.
StateDict read_torchscript(const std::string& path);
// The pre-1.6 non-zip torch.save format.
StateDict read_legacy(const std::string& path);

}  // namespace tvlite::exporter

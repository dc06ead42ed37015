// Writing a .tvl file (byte layout: schema/README.md), atomically: the output is either the
// complete new file or left exactly as it was.
#pragma once
#include <string>
#include <vector>

#include "tvlite/exporter/selftest.h"
#include "tvlite/exporter/state_dict.h"
#include "tvlite/schema/manifest.h"

namespace tvlite::exporter {

struct InputOptions {
  int height = 224;
  int width = 224;
  int resize = 256;
  float mean[3] = {0.485f, 0.456f, 0.406f};
  float std[3] = {0.229f, 0.224f, 0.225f};
  std::vector<std::string> labels;  // optional; index = class
};

// "tvlite-export 0.1.0 (libtorch 1.13.1)"
std::string producer_string();

enum class DTypePolicy {
  kKeep,  // float32, float16, bfloat16 stored as they are (float64 narrowed to F32)
  kF32,   // every floating tensor stored as F32 (float16/bfloat16 widened exactly)
};

// Writes every tensor of sd in its order: floating tensors as the policy says, integer tensors
// (num_batches_tracked) as I64. sd must have passed check_state_dict. A non-null selftest is
// stored as the file's SelfTest table (format 1.2; make_selftest makes it).
// Writes to a temporary file in path's folder, fsyncs it and renames it over path; on any
// failure the temporary is removed and ExportError thrown.
void write_tvl(const std::string& path, const schema::ArchConfig& arch, const InputOptions& input,
               const StateDict& sd, DTypePolicy policy = DTypePolicy::kKeep,
               const SelfTest* selftest = nullptr);

}  // namespace tvlite::exporter

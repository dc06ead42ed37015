// The way back: a .tvl file as a PyTorch state dict.
#pragma once
#include <string>

namespace tvlite::exporter {

// Reads the .tvl at tvl_path (verified like the runtime does: identifier, FlatBuffers verifier,
// every tensor inside the file) and writes out_path as torch.save(state_dict) would: a zip with
// archive/data.pkl (an OrderedDict of torch._utils._rebuild_tensor_v2 tensors, C-contiguous) and
// archive/data/<i> per tensor. Every tensor keeps its name, shape, dtype and bytes, so
// torch.load gives tensors torch.equal to those exported (bit-identical for float32, float16,
// bfloat16 and int64 sources exported with --dtype keep). Atomic like write_tvl. Throws
// ExportError.
void tvl_to_pth(const std::string& tvl_path, const std::string& out_path);

}  // namespace tvlite::exporter

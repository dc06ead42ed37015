// TorchScript archives (torch.jit.save): LibTorch loads the module; we walk it the way
// nn.Module.state_dict() does (own parameters, own buffers, then children in order).
#include <torch/script.h>

#include "read/aten_types.h"
#include "read/zip_archive.h"
#include "tvlite/exporter/read.h"

namespace tvlite::exporter {
namespace {

void add(const std::string& name, const at::Tensor& value, StateDict* out) {
  Tensor t;
  t.name = name.rfind("module.", 0) == 0 ? name.substr(7) : name;
  if (!from_aten(value.scalar_type(), &t.dtype))
    throw ExportError("'" + name + "' has unsupported dtype " +
                      std::string(c10::toString(value.scalar_type())));
  if (value.layout() != c10::kStrided || value.is_quantized())
    throw ExportError("'" + name + "' is not a dense tensor");
  at::Tensor dense = value.detach().to(c10::kCPU).contiguous();
  t.shape.assign(dense.sizes().begin(), dense.sizes().end());
  t.data.resize(dense.numel() * dense.element_size());
  if (!t.data.empty()) std::memcpy(t.data.data(), dense.data_ptr(), t.data.size());
  out->push_back(std::move(t));
}

void walk(const torch::jit::Module& m, const std::string& prefix, StateDict* out) {
  for (const auto& p : m.named_parameters(/*recurse=*/false)) add(prefix + p.name, p.value, out);
  for (const auto& b : m.named_buffers(/*recurse=*/false)) add(prefix + b.name, b.value, out);
  for (const auto& c : m.named_children()) walk(c.value, prefix + c.name + ".", out);
}

}  // namespace

StateDict read_torchscript(const std::string& path) {
  {
    auto zip = open_zip(path);
    if (!zip->hasRecord("constants.pkl") && !has_code_records(*zip))
      throw ExportError(path +
                        " is a zip archive without constants.pkl and code/: not a "
                        "TorchScript archive (a zip state dict? read it with read_zip_state_dict)");
  }
  try {
    torch::jit::Module m = torch::jit::load(path, c10::Device(c10::kCPU));
    StateDict out;
    walk(m, "", &out);
    return out;
  } catch (const c10::Error& e) {
    std::string why = e.what_without_backtrace();
    throw ExportError(
        path + ": LibTorch cannot load this TorchScript archive: " + why.substr(0, why.find('\n')));
  }
}

}  // namespace tvlite::exporter

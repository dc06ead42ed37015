// The zip container of torch.save (PyTorch >= 1.6): <archive>/data.pkl holds the pickle,
// <archive>/data/<key> each storage's raw little-endian bytes.
#include <c10/util/Exception.h>
#include <caffe2/serialize/inline_container.h>

#include <map>

#include "read/torch_objects.h"
#include "read/zip_archive.h"
#include "tvlite/exporter/read.h"

namespace tvlite::exporter {

namespace {

StateDict read_zip(const std::string& path) {
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> zip = open_zip(path);
  if (zip->hasRecord("constants.pkl") || has_code_records(*zip))
    throw ExportError(path +
                      " is a TorchScript archive (it has constants.pkl and code/), not a "
                      "zip state dict: read it with read_torchscript");
  if (!zip->hasRecord("data.pkl"))
    throw ExportError(path + " is a zip archive without data.pkl: not a file torch.save wrote");
  auto [pkl, pkl_size] = zip->getRecord("data.pkl");
  size_t pos = 0;
  pickle::Ref root;
  try {
    root = pickle::unpickle(static_cast<const uint8_t*>(pkl.get()), pkl_size, &pos);
  } catch (const ExportError& e) {
    throw ExportError(path + ": data.pkl: " + e.what());
  }
  std::map<std::string, std::tuple<at::DataPtr, size_t>> records;
  auto resolve = [&](const StorageRef& s) -> StorageBytes {
    const std::string name = "data/" + s.key;
    if (!zip->hasRecord(name)) throw ExportError(path + ": storage record " + name + " is missing");
    auto& r = records[s.key];
    r = zip->getRecord(name);
    return {static_cast<const uint8_t*>(std::get<0>(r).get()), std::get<1>(r)};
  };
  try {
    return state_dict_from_pickle(root, resolve);
  } catch (const ExportError& e) {
    throw ExportError(path + ": " + e.what());
  }
}

}  // namespace

StateDict read_zip_state_dict(const std::string& path) {
  try {
    return read_zip(path);
  } catch (const c10::Error& e) {
    std::string why = e.what_without_backtrace();
    throw ExportError(path + ": corrupt zip archive: " + why.substr(0, why.find('\n')));
  }
}

}  // namespace tvlite::exporter

// Giving meaning to the torch objects in an unpickled torch.save tree: storages (persistent
// ids), tensors (_rebuild_tensor_v2, wrapped by _rebuild_parameter), and where a checkpoint
// keeps its state dict.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "read/unpickler.h"
#include "tvlite/exporter/state_dict.h"

namespace tvlite::exporter {

// A storage as its persistent id describes it: ('storage', torch.FloatStorage, key, location,
// numel[, view_metadata]).
struct StorageRef {
  std::string key;
  ElementType dtype = ElementType::kF32;
  uint64_t numel = 0;
};

// The bytes of one storage, owned by the reader; valid until state_dict_from_pickle returns.
struct StorageBytes {
  const uint8_t* data = nullptr;
  size_t size = 0;
};
using StorageResolver = std::function<StorageBytes(const StorageRef&)>;

// Every storage the tree references, by key (the legacy format stores them all, in key order).
std::map<std::string, StorageRef> collect_storages(const pickle::Ref& root);

// Finds the state dict in root (top level, or under state_dict / model_state_dict / model / net)
// and copies out each tensor's logical elements after bounds-checking them against its storage.
StateDict state_dict_from_pickle(const pickle::Ref& root, const StorageResolver& resolve);

// Copies the elements a strided view addresses into out->data (C-contiguous). Throws unless every
// addressed element lies inside [storage, storage + storage_bytes) (TRAPS 18), with overflow-safe
// arithmetic. Strides are honoured (TRAPS 1), and only the view's elements are copied (TRAPS 2).
void copy_strided(const uint8_t* storage, size_t storage_bytes, int64_t storage_offset,
                  const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides,
                  Tensor* out);

}  // namespace tvlite::exporter

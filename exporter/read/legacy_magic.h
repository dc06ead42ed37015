#pragma once
#include "read/unpickler.h"

namespace tvlite::exporter {

// True for the magic number that opens a legacy torch.save file.
bool is_legacy_magic(const pickle::Value& v);

}  // namespace tvlite::exporter

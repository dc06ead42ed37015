// Read-only memory mapping of the one model file the caller names.
#pragma once
#include <cstddef>
#include <string>

#include "tvlite/status.h"

namespace tvlite::detail {

// Maps `path`; on success *data/*size describe the mapping, to be released with unmap_file().
Status map_file(const std::string& path, const void** data, size_t* size);
void unmap_file(const void* data, size_t size);

}  // namespace tvlite::detail

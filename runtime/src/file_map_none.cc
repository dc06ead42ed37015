// A bare-metal build has no filesystem: Model::open refuses, Model::from_buffer is the way in
// (an embedded model: tvlite-embed).
#include "file_map.h"

namespace tvlite::detail {

Status map_file(const std::string& path, const void**, size_t*) {
  return Status(Code::kUnsupported, "cannot open '" + path +
                                        "': this build has no filesystem (use from_buffer)");
}

void unmap_file(const void*, size_t) {}

}  // namespace tvlite::detail

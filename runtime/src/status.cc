#include "tvlite/status.h"

namespace tvlite {

const char* to_string(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid argument";
    case Code::kIoError: return "i/o error";
    case Code::kInvalidFile: return "invalid file";
    case Code::kVersionMismatch: return "version mismatch";
    case Code::kChecksumMismatch: return "checksum mismatch";
    case Code::kMisaligned: return "misaligned";
    case Code::kUnsupported: return "unsupported";
    case Code::kOutOfMemory: return "out of memory";
    case Code::kInternal: return "internal error";
  }
  return "unknown";
}

std::string Status::to_string() const {
  if (is_ok()) return "ok";
  return std::string(tvlite::to_string(code_)) + ": " + message_;
}

}  // namespace tvlite

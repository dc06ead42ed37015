// Overflow-checked size arithmetic for untrusted header values.
#pragma once
#include <cstdint>

namespace tvlite::detail {

inline bool mul_overflows(uint64_t a, uint64_t b, uint64_t* out) {
  return __builtin_mul_overflow(a, b, out);
}
inline bool add_overflows(uint64_t a, uint64_t b, uint64_t* out) {
  return __builtin_add_overflow(a, b, out);
}

}  // namespace tvlite::detail

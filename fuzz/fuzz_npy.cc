// libFuzzer target: tvlite::io::parse_npy_f32 on arbitrary bytes; when it accepts an array, the
// shape's product must equal the element count, and encoding it again must succeed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "tvlite/io/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An exact-size copy, so that ASan sees any read past the end.
  std::vector<uint8_t> bytes(data, data + size);
  tvlite::io::NpyArray array;
  std::string error;
  if (!tvlite::io::parse_npy_f32(bytes.data(), bytes.size(), &array, &error)) {
    if (error.empty()) std::abort();  // every refusal names its reason
    return 0;
  }
  uint64_t numel = 1;
  for (int64_t d : array.shape) {
    if (d < 0 || __builtin_mul_overflow(numel, uint64_t(d), &numel)) std::abort();
  }
  if (numel != array.data.size()) std::abort();
  std::vector<uint8_t> encoded;
  if (!tvlite::io::encode_npy_f32(array.shape, array.data.data(), &encoded, &error)) std::abort();
  return 0;
}

// Test-side .tvl writer: lays out a file exactly as schema/README.md describes, with every field
// under the test's control, so malformed files of each kind can be made on purpose.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "tvlite/schema/manifest.h"

namespace tvlite::test {

struct TensorSpec {
  std::string name;
  int dtype = 0;  // tvlite::fb::DType value
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
  // Overrides of what the layout would write; -1 = computed.
  int64_t offset = -1, length = -1;
  int64_t checksum = -1;
};

// A SelfTest table (format 1.2), written only when present.
struct SelfTestSpec {
  bool present = false;
  int batch = 1, channels = 3, height = 32, width = 32;
  std::vector<float> input, logits;
  float tolerance = 1e-4f;
};

struct FileSpec {
  int format_major = 1, format_minor = 0;
  schema::ArchConfig arch;
  int family = 1;  // tvlite::fb::Family value
  std::vector<TensorSpec> tensors;
  bool extra_unknown_field = false;  // a field in a vtable slot this build does not know
  int64_t data_offset = -1;          // -1 = computed
  uint32_t alignment = 64;
  SelfTestSpec selftest;
};

// A spec with every tensor of `arch` filled with seeded values: weights ~ U(-a, a) scaled by
// fan-in, batch-norm statistics randomized so batch norm is no identity.
FileSpec random_model(const schema::ArchConfig& arch, uint32_t seed);

// The file's bytes.
std::vector<uint8_t> build_tvl(const FileSpec& spec);

// Buffers whose data() is 64-byte aligned (std::vector<uint8_t> gives 16 at best).
class AlignedBytes {
 public:
  explicit AlignedBytes(const std::vector<uint8_t>& bytes, size_t misalign = 0);
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  std::vector<uint8_t> storage_;
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace tvlite::test

// What every reader of tvlite-export produces: the tensors of a state dict, in state-dict order,
// each copied out of its container into its own C-contiguous little-endian buffer. Owning plain
// data (no LibTorch types), so that detection, checking and writing need no LibTorch headers.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace tvlite::exporter {

// Element types a PyTorch file may hold. Only the floating ones and int64 reach a .tvl.
enum class ElementType { kF32, kF64, kF16, kBF16, kI64, kI32, kI16, kI8, kU8, kBool };

const char* element_type_name(ElementType t);  // PyTorch's spelling: "float32", "int64", ...
size_t element_size(ElementType t);
bool is_floating(ElementType t);

struct Tensor {
  std::string name;  // state-dict key, `module.` prefix already stripped
  ElementType dtype = ElementType::kF32;
  std::vector<int64_t> shape;  // empty for a scalar
  std::vector<uint8_t> data;   // numel * element_size bytes, C-contiguous, little-endian

  int64_t numel() const;
};

using StateDict = std::vector<Tensor>;  // in the file's (state-dict) order

// The one error type of the exporter library. what() may hold several lines; the command line
// prints each prefixed with "error: ".
class ExportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "[10, 512]", as PyTorch prints sizes.
std::string shape_string(const std::vector<int64_t>& shape);

}  // namespace tvlite::exporter

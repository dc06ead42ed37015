#include "tvlite/exporter/state_dict.h"

namespace tvlite::exporter {

const char* element_type_name(ElementType t) {
  switch (t) {
    case ElementType::kF32:
      return "float32";
    case ElementType::kF64:
      return "float64";
    case ElementType::kF16:
      return "float16";
    case ElementType::kBF16:
      return "bfloat16";
    case ElementType::kI64:
      return "int64";
    case ElementType::kI32:
      return "int32";
    case ElementType::kI16:
      return "int16";
    case ElementType::kI8:
      return "int8";
    case ElementType::kU8:
      return "uint8";
    case ElementType::kBool:
      return "bool";
  }
  return "?";
}

size_t element_size(ElementType t) {
  switch (t) {
    case ElementType::kF64:
    case ElementType::kI64:
      return 8;
    case ElementType::kF32:
    case ElementType::kI32:
      return 4;
    case ElementType::kF16:
    case ElementType::kBF16:
    case ElementType::kI16:
      return 2;
    case ElementType::kI8:
    case ElementType::kU8:
    case ElementType::kBool:
      return 1;
  }
  return 1;
}

bool is_floating(ElementType t) {
  return t == ElementType::kF32 || t == ElementType::kF64 || t == ElementType::kF16 ||
         t == ElementType::kBF16;
}

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace tvlite::exporter

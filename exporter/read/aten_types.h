// ElementType <-> at::ScalarType, for the readers that hand tensors to or from ATen.
#pragma once
#include <c10/core/ScalarType.h>

#include "tvlite/exporter/state_dict.h"

namespace tvlite::exporter {

inline c10::ScalarType to_aten(ElementType t) {
  switch (t) {
    case ElementType::kF32:
      return c10::kFloat;
    case ElementType::kF64:
      return c10::kDouble;
    case ElementType::kF16:
      return c10::kHalf;
    case ElementType::kBF16:
      return c10::kBFloat16;
    case ElementType::kI64:
      return c10::kLong;
    case ElementType::kI32:
      return c10::kInt;
    case ElementType::kI16:
      return c10::kShort;
    case ElementType::kI8:
      return c10::kChar;
    case ElementType::kU8:
      return c10::kByte;
    case ElementType::kBool:
      return c10::kBool;
  }
  return c10::kFloat;
}

// False for types a .tvl cannot come from (complex, quantized, ...).
inline bool from_aten(c10::ScalarType s, ElementType* t) {
  for (ElementType e : {ElementType::kF32, ElementType::kF64, ElementType::kF16, ElementType::kBF16,
                        ElementType::kI64, ElementType::kI32, ElementType::kI16, ElementType::kI8,
                        ElementType::kU8, ElementType::kBool}) {
    if (to_aten(e) == s) {
      *t = e;
      return true;
    }
  }
  return false;
}

}  // namespace tvlite::exporter

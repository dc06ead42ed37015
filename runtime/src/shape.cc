// parse_shape (session.h): "NxCxHxW" as the tools take it, without stdio (bare metal).
#include <string_view>

#include "tvlite/session.h"

namespace tvlite {

bool parse_shape(std::string_view text, Shape4* shape) {
  int64_t v[4];
  size_t i = 0;
  for (int d = 0; d < 4; ++d) {
    if (d > 0) {
      if (i >= text.size() || text[i] != 'x') return false;
      ++i;
    }
    const size_t start = i;
    int64_t x = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      x = x * 10 + (text[i] - '0');
      if (x > kMaxShapeDim) return false;
      ++i;
    }
    if (i == start || x < 1) return false;
    v[d] = x;
  }
  if (i != text.size()) return false;
  *shape = Shape4{v[0], v[1], v[2], v[3]};
  return true;
}

}  // namespace tvlite

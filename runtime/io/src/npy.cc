// .npy reading and writing; the byte layout is described in tvlite/io/npy.h.
#include "tvlite/io/npy.h"

#include <cstring>
#include <limits>
#include <new>

#include "file_io.h"

namespace tvlite::io {
namespace {

using internal::fail;

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
// numpy pads headers so the data starts on a multiple of this (numpy.lib.format.ARRAY_ALIGN).
constexpr size_t kArrayAlign = 64;
// numpy leaves room to grow the first dimension in place (GROWTH_AXIS_MAX_DIGITS).
constexpr size_t kGrowthAxisMaxDigits = 21;

bool host_is_little_endian() {
  const uint16_t probe = 1;
  uint8_t first;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

void swap_bytes_f32(float* data, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    uint8_t b[4];
    std::memcpy(b, &data[i], 4);
    const uint8_t r[4] = {b[3], b[2], b[1], b[0]};
    std::memcpy(&data[i], r, 4);
  }
}

std::string shape_to_string(const std::vector<int64_t>& shape) {
  // Python's repr of the shape tuple: (), (5,), (2, 3).
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

// A recursive-descent reader of the header dict literal. It accepts exactly what numpy
// writes (and Python 2's "3L" integers), never evaluates anything.
class HeaderParser {
 public:
  explicit HeaderParser(const std::string& text) : s_(text) {}

  bool parse(std::string* descr, bool* fortran_order, std::vector<int64_t>* shape,
             std::string* error) {
    bool have_descr = false, have_fortran = false, have_shape = false;
    skip_space();
    if (!eat('{')) return bad(error, "does not start with '{'");
    for (;;) {
      skip_space();
      if (eat('}')) break;
      std::string key;
      if (!read_quoted(&key)) return bad(error, "expected a quoted key");
      skip_space();
      if (!eat(':')) return bad(error, "expected ':' after '" + key + "'");
      skip_space();
      if (key == "descr") {
        if (have_descr) return bad(error, "repeats 'descr'");
        have_descr = true;
        if (peek() == '[') {
          *descr = "a structured dtype";
          skip_to_matching_bracket();
        } else if (!read_quoted(descr)) {
          return bad(error, "'descr' is not a string");
        }
      } else if (key == "fortran_order") {
        if (have_fortran) return bad(error, "repeats 'fortran_order'");
        have_fortran = true;
        if (eat_word("True")) {
          *fortran_order = true;
        } else if (eat_word("False")) {
          *fortran_order = false;
        } else {
          return bad(error, "'fortran_order' is not True or False");
        }
      } else if (key == "shape") {
        if (have_shape) return bad(error, "repeats 'shape'");
        have_shape = true;
        if (!read_shape(shape, error)) return false;
      } else {
        return bad(error, "has an unexpected key '" + key + "'");
      }
      skip_space();
      if (eat(',')) continue;
      if (eat('}')) break;
      return bad(error, "expected ',' or '}' after '" + key + "'");
    }
    skip_space();
    if (pos_ != s_.size()) return bad(error, "has text after the closing '}'");
    if (!have_descr) return bad(error, "lacks 'descr'");
    if (!have_fortran) return bad(error, "lacks 'fortran_order'");
    if (!have_shape) return bad(error, "lacks 'shape'");
    return true;
  }

 private:
  static bool bad(std::string* error, const std::string& what) {
    return fail(error, "malformed .npy header: " + what);
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  bool eat_word(const char* word) {
    const size_t n = std::strlen(word);
    if (s_.compare(pos_, n, word) != 0) return false;
    pos_ += n;
    return true;
  }
  void skip_space() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool read_quoted(std::string* out) {
    const char quote = peek();
    if (quote != '\'' && quote != '"') return false;
    const size_t end = s_.find(quote, pos_ + 1);
    if (end == std::string::npos) return false;
    *out = s_.substr(pos_ + 1, end - pos_ - 1);
    if (out->find('\\') != std::string::npos) return false;  // escapes never occur in numpy's
    pos_ = end + 1;
    return true;
  }
  void skip_to_matching_bracket() {
    int depth = 0;
    for (; pos_ < s_.size(); ++pos_) {
      if (s_[pos_] == '[') ++depth;
      if (s_[pos_] == ']' && --depth == 0) {
        ++pos_;
        return;
      }
    }
  }
  bool read_shape(std::vector<int64_t>* shape, std::string* error) {
    shape->clear();
    if (!eat('(')) return bad(error, "'shape' is not a tuple");
    for (;;) {
      skip_space();
      if (eat(')')) return true;
      if (peek() == '-') return bad(error, "'shape' has a negative dimension");
      if (peek() < '0' || peek() > '9') return bad(error, "'shape' holds a non-integer");
      int64_t dim = 0;
      while (peek() >= '0' && peek() <= '9') {
        const int digit = peek() - '0';
        if (dim > (std::numeric_limits<int64_t>::max() - digit) / 10) {
          return bad(error, "'shape' has a dimension too large for 64 bits");
        }
        dim = dim * 10 + digit;
        ++pos_;
      }
      if (peek() == '.' || peek() == 'e' || peek() == 'E') {
        return bad(error, "'shape' holds a non-integer");
      }
      eat('L');
      if (shape->size() == static_cast<size_t>(kNpyMaxRank)) {
        return bad(error, "'shape' has more than " + std::to_string(kNpyMaxRank) + " dimensions");
      }
      shape->push_back(dim);
      skip_space();
      if (eat(')')) return true;
      if (!eat(',')) return bad(error, "expected ',' or ')' in 'shape'");
    }
  }

  const std::string& s_;
  size_t pos_ = 0;
};

uint32_t read_le(const uint8_t* p, int n) {
  uint32_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

bool parse_npy_f32(const uint8_t* bytes, size_t size, NpyArray* out, std::string* error) {
  if (size == 0) return fail(error, "not a .npy file: it is empty");
  if (size < kMagicLen + 2 || std::memcmp(bytes, kMagic, kMagicLen) != 0) {
    return fail(error, "not a .npy file: bad magic (expected \\x93NUMPY)");
  }
  const int major = bytes[6], minor = bytes[7];
  if ((major != 1 && major != 2 && major != 3) || minor != 0) {
    return fail(error, "unsupported .npy version " + std::to_string(major) + "." +
                           std::to_string(minor) + " (expected 1.0, 2.0 or 3.0)");
  }
  const size_t len_bytes = major == 1 ? 2 : 4;
  const size_t prefix = kMagicLen + 2 + len_bytes;
  if (size < prefix) return fail(error, "truncated .npy file: header length is cut off");
  const size_t header_len = read_le(bytes + kMagicLen + 2, static_cast<int>(len_bytes));
  if (header_len > size - prefix) {
    return fail(error, "truncated .npy file: header says " + std::to_string(header_len) +
                           " bytes, file has " + std::to_string(size - prefix) +
                           " after the prefix");
  }
  const std::string header(reinterpret_cast<const char*>(bytes + prefix), header_len);
  std::string descr;
  bool fortran_order = false;
  std::vector<int64_t> shape;
  if (!HeaderParser(header).parse(&descr, &fortran_order, &shape, error)) return false;

  if (descr == ">f4") {
    return fail(error, "expected float32 (<f4), file has big-endian float32 (>f4)");
  }
  if (descr != "<f4" && descr != "|f4") {
    return fail(error, "expected float32 (<f4), file has " + descr);
  }
  if (fortran_order) {
    return fail(error, "fortran_order True is not supported: expected C-order data");
  }
  size_t count = 1;
  for (int64_t dim : shape) {
    if (dim != 0 &&
        count > std::numeric_limits<size_t>::max() / sizeof(float) / static_cast<uint64_t>(dim)) {
      return fail(error, "shape " + shape_to_string(shape) +
                             " overflows: more elements than can be addressed");
    }
    count *= static_cast<size_t>(dim);
  }
  const size_t data_bytes = count * sizeof(float);
  const size_t available = size - prefix - header_len;
  if (data_bytes > available) {
    return fail(error, "truncated .npy data: shape " + shape_to_string(shape) + " needs " +
                           std::to_string(data_bytes) + " bytes, file has " +
                           std::to_string(available));
  }
  if (data_bytes < available) {
    return fail(error, ".npy file has " + std::to_string(available - data_bytes) +
                           " unexpected bytes after the data of shape " + shape_to_string(shape));
  }
  try {
    out->data.resize(count);
  } catch (const std::bad_alloc&) {
    return fail(error, "out of memory for " + std::to_string(count) + " floats");
  }
  if (count > 0) std::memcpy(out->data.data(), bytes + prefix + header_len, data_bytes);
  if (!host_is_little_endian()) swap_bytes_f32(out->data.data(), count);
  out->shape = std::move(shape);
  return true;
}

bool read_npy_f32(const std::string& path, NpyArray* out, std::string* error) {
  std::vector<uint8_t> bytes;
  if (!internal::read_file_bytes(path, &bytes, error)) return false;
  std::string message;
  if (!parse_npy_f32(bytes.data(), bytes.size(), out, &message)) {
    return fail(error, path + ": " + message);
  }
  return true;
}

bool encode_npy_f32(const std::vector<int64_t>& shape, const float* data, std::vector<uint8_t>* out,
                    std::string* error) {
  if (shape.size() > static_cast<size_t>(kNpyMaxRank)) {
    return fail(error, "cannot write a .npy of rank " + std::to_string(shape.size()));
  }
  size_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0) return fail(error, "cannot write shape " + shape_to_string(shape));
    if (dim != 0 &&
        count > std::numeric_limits<size_t>::max() / sizeof(float) / static_cast<uint64_t>(dim)) {
      return fail(error, "shape " + shape_to_string(shape) + " overflows");
    }
    count *= static_cast<size_t>(dim);
  }
  if (count > 0 && data == nullptr)
    return fail(error, "no data for shape " + shape_to_string(shape));

  // Same bytes as numpy.lib.format._write_array_header (numpy 1.24).
  std::string header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape_to_string(shape) + ", }";
  if (!shape.empty()) {
    const size_t digits = std::to_string(shape[0]).size();
    if (digits < kGrowthAxisMaxDigits) header.append(kGrowthAxisMaxDigits - digits, ' ');
  }
  int major = 1;
  size_t len_bytes = 2;
  size_t hlen = header.size() + 1;  // + '\n'
  size_t pad = kArrayAlign - (kMagicLen + 2 + len_bytes + hlen) % kArrayAlign;
  if (hlen + pad > 0xffff) {
    major = 2;
    len_bytes = 4;
    pad = kArrayAlign - (kMagicLen + 2 + len_bytes + hlen) % kArrayAlign;
  }
  header.append(pad, ' ');
  header += '\n';
  try {
    out->clear();
    out->reserve(kMagicLen + 2 + len_bytes + header.size() + count * sizeof(float));
    out->insert(out->end(), kMagic, kMagic + kMagicLen);
    out->push_back(static_cast<uint8_t>(major));
    out->push_back(0);
    for (size_t i = 0; i < len_bytes; ++i) out->push_back((header.size() >> (8 * i)) & 0xff);
    out->insert(out->end(), header.begin(), header.end());
    const size_t data_start = out->size();
    out->resize(data_start + count * sizeof(float));
    if (count > 0) std::memcpy(out->data() + data_start, data, count * sizeof(float));
    if (!host_is_little_endian()) {
      swap_bytes_f32(reinterpret_cast<float*>(out->data() + data_start), count);
    }
  } catch (const std::bad_alloc&) {
    return fail(error, "out of memory encoding shape " + shape_to_string(shape));
  }
  return true;
}

bool write_npy_f32(const std::string& path, const std::vector<int64_t>& shape, const float* data,
                   std::string* error) {
  std::vector<uint8_t> bytes;
  if (!encode_npy_f32(shape, data, &bytes, error)) return false;
  return internal::write_file_atomic(path, bytes.data(), bytes.size(), error);
}

}  // namespace tvlite::io

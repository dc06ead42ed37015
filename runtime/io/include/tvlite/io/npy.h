// Reading and writing NumPy .npy files holding float32 arrays.
//
// The .npy layout (NumPy format versions 1.0, 2.0 and 3.0):
//   bytes 0-5   magic "\x93NUMPY"
//   byte  6     major version (1, 2 or 3); byte 7 minor version (0)
//   then        header length HLEN: uint16 little-endian (version 1) or uint32 (versions 2, 3)
//   then        HLEN bytes of header: a Python dict literal, latin-1 (v1, v2) or UTF-8 (v3),
//               e.g. "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", padded
//               with spaces and ending in '\n'; exactly the keys descr, fortran_order, shape
//   then        the data: prod(shape) elements in C order (shape () holds one element)
//
// Only float32 little-endian C-order data is read ("<f4", also "|f4"); everything else is
// refused with a message naming the problem. The input is untrusted: every size is checked,
// with overflow-safe arithmetic, against the bytes actually present; trailing bytes after the
// data are refused too. No function here throws; failures return false and, when `error` is
// not null, set *error to a one-line message.
#ifndef TVLITE_IO_NPY_H_
#define TVLITE_IO_NPY_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tvlite::io {

// A float32 array in C (row-major) order; data.size() == product of shape (1 for rank 0).
struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

// Largest rank accepted, as NumPy's NPY_MAXDIMS.
constexpr int kNpyMaxRank = 32;

// Parses a complete .npy image held in memory (`size` bytes at `bytes`, borrowed for the call).
bool parse_npy_f32(const uint8_t* bytes, size_t size, NpyArray* out, std::string* error);

// Reads the .npy file at `path`.
bool read_npy_f32(const std::string& path, NpyArray* out, std::string* error);

// Encodes `shape` and prod(shape) floats at `data` as a version 1.0 .npy (2.0 if the header
// would not fit), byte-identical to numpy.save of the same float32 array. Dimensions must be
// non-negative; `data` may be null only when the array is empty.
bool encode_npy_f32(const std::vector<int64_t>& shape, const float* data, std::vector<uint8_t>* out,
                    std::string* error);

// Writes the encoding above to `path` atomically: to a temporary file in the same folder,
// then renamed over `path`, so a reader never sees a half-written file.
bool write_npy_f32(const std::string& path, const std::vector<int64_t>& shape, const float* data,
                   std::string* error);

}  // namespace tvlite::io

#endif  // TVLITE_IO_NPY_H_

// Test-time fixtures for the tvlite_io suites: generated once per run by
// tests/python/io_fixtures.py (see its docstring for the manifest format).
#ifndef TVLITE_TESTS_IO_FIXTURES_H_
#define TVLITE_TESTS_IO_FIXTURES_H_

#include <string>
#include <vector>

#include "tvlite/io/image.h"
#include "tvlite/io/npy.h"

namespace tvlite::io::test {

// The fixture folder, generating it on first use; empty (and a doctest failure) on error.
const std::string& fixture_dir();

// Manifest lines whose first word is `kind`, split into words (the kind dropped).
std::vector<std::vector<std::string>> manifest(const std::string& kind);

std::string fixture(const std::string& name);  // fixture_dir() + "/" + name

// Source pixels of a manifest case: "png"/"jpeg" decoded by tvlite, "pixels" read from PIL's
// decoded HxWx3 .npy. Fails the current test case on error.
Image source_image(const std::string& kind, const std::string& name);

// An HxWx3 float .npy of 0-255 integers as an Image.
Image image_from_npy(const NpyArray& a);

// The value at flat index i of every numpy-written test array (mirrors io_fixtures.py).
float npy_value(size_t i);

std::vector<uint8_t> read_bytes(const std::string& path);

}  // namespace tvlite::io::test

#endif  // TVLITE_TESTS_IO_FIXTURES_H_

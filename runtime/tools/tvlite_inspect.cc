// tvlite-inspect MODEL.tvl [--json] [--verify]: what a .tvl holds, and whether it is sound.
// tvlite-inspect MODEL.tvl --arena-bytes --shape NxCxHxW [--threads N]: the bytes of caller memory
// (a Workspace, or tvlite.h's tvlite_workspace) that opening it and running that shape need.
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tvlite/model.h"
#include "tvlite/session.h"
#include "tvlite/tvlite.h"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: tvlite-inspect MODEL.tvl [--json] [--verify]\n"
               "       tvlite-inspect MODEL.tvl --arena-bytes --shape NxCxHxW [--threads N]\n");
  return 1;
}

// "1x3x224x224" -> shape (tvlite::parse_shape); false on anything else.
bool parse_shape(const char* text, tvlite_shape* shape) {
  tvlite::Shape4 s;
  if (!tvlite::parse_shape(text, &s)) return false;
  *shape = tvlite_shape{s.n, s.c, s.h, s.w};
  return true;
}

// The largest power of two (up to 4096) dividing the offset.
uint64_t offset_alignment(uint64_t offset) {
  uint64_t a = 1;
  while (a < 4096 && offset % (a * 2) == 0) a *= 2;
  return a;
}

template <class Dims>  // tvlite::Dims or a vector
std::string shape_string(const Dims& shape, const char* sep) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? sep : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      // Control and non-ASCII bytes as \u00XX: the output stays valid JSON (ASCII) even when a
      // damaged file's name is not valid UTF-8.
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", static_cast<unsigned char>(c));
      out += b;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

void print_text(const tvlite::Model& m, bool verified) {
  const tvlite::ArchInfo& a = m.arch();
  const tvlite::InputInfo& in = m.input();
  std::printf("format        %d.%d (%s)\n", m.format_major(), m.format_minor(),
              m.producer().c_str());
  std::printf("architecture  %s (family %s", a.name.c_str(), a.family.c_str());
  if (a.family == "resnet") {
    std::printf(", %s blocks %s, groups %d, width/group %d", a.block.c_str(),
                shape_string(std::vector<int64_t>(a.layers.begin(), a.layers.end()), ",").c_str(),
                a.groups, a.width_per_group);
  }
  std::printf(", %d classes)\n", a.num_classes);
  std::printf("input         %d x %d x %d, resize %d, mean [%g, %g, %g], std [%g, %g, %g], %zu labels\n",
              in.channels, in.height, in.width, in.resize, in.mean[0], in.mean[1], in.mean[2],
              in.std[0], in.std[1], in.std[2], in.labels.size());
  std::printf("\n%-48s %-5s %-20s %12s %12s %6s  %s\n", "tensor", "dtype", "shape", "offset", "bytes",
              "align", "xxh3-64");
  uint64_t bytes = 0;
  for (const tvlite::TensorInfo& t : m.tensors()) {
    std::printf("%-48.*s %-5s %-20s %12" PRIu64 " %12" PRIu64 " %6" PRIu64 "  %016" PRIx64 "\n",
                int(t.name.size()), t.name.data(), tvlite::to_string(t.dtype),
                shape_string(t.shape, ",").c_str(), t.offset, t.length, offset_alignment(t.offset),
                t.checksum);
    bytes += t.length;
  }
  std::printf("\n%zu tensors, %" PRIu64 " bytes of tensor data, file %zu bytes, alignment %" PRIu64
              "\n",
              m.tensors().size(), bytes, m.size(), m.alignment());
  if (verified) std::printf("checksums     all %zu verified\n", m.tensors().size());
}

void print_json(const tvlite::Model& m, bool verified) {
  const tvlite::ArchInfo& a = m.arch();
  const tvlite::InputInfo& in = m.input();
  std::printf("{\"format\":\"%d.%d\",\"producer\":%s,\"file_bytes\":%zu,\"alignment\":%" PRIu64
              ",\n",
              m.format_major(), m.format_minor(), json_string(m.producer()).c_str(), m.size(),
              m.alignment());
  std::printf(" \"arch\":{\"name\":%s,\"family\":%s,\"block\":%s,\"layers\":%s,\"groups\":%d,"
              "\"width_per_group\":%d,\"num_classes\":%d},\n",
              json_string(a.name).c_str(), json_string(a.family).c_str(),
              json_string(a.block).c_str(),
              shape_string(std::vector<int64_t>(a.layers.begin(), a.layers.end()), ",").c_str(),
              a.groups, a.width_per_group, a.num_classes);
  std::printf(" \"input\":{\"channels\":%d,\"height\":%d,\"width\":%d,\"resize\":%d,"
              "\"mean\":[%g,%g,%g],\"std\":[%g,%g,%g],\"labels\":%zu},\n",
              in.channels, in.height, in.width, in.resize, in.mean[0], in.mean[1], in.mean[2],
              in.std[0], in.std[1], in.std[2], in.labels.size());
  std::printf(" \"checksums_verified\":%s,\n \"tensors\":[\n", verified ? "true" : "false");
  uint64_t bytes = 0;
  for (size_t i = 0; i < m.tensors().size(); ++i) {
    const tvlite::TensorInfo& t = m.tensors()[i];
    std::printf("  {\"name\":%s,\"dtype\":\"%s\",\"shape\":%s,\"offset\":%" PRIu64
                ",\"bytes\":%" PRIu64 ",\"alignment\":%" PRIu64 ",\"xxh3\":\"%016" PRIx64 "\"}%s\n",
                json_string(t.name).c_str(), tvlite::to_string(t.dtype),
                shape_string(t.shape, ",").c_str(), t.offset, t.length, offset_alignment(t.offset),
                t.checksum, i + 1 < m.tensors().size() ? "," : "");
    bytes += t.length;
  }
  std::printf(" ],\n \"tensor_count\":%zu,\"tensor_bytes\":%" PRIu64 "}\n", m.tensors().size(),
              bytes);
}

}  // namespace

int main(int argc, char** argv) {
  std::string path;
  bool json = false, verify = false, arena = false;
  const char* shape_text = nullptr;
  int threads = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0) {
      json = true;
    } else if (std::strcmp(argv[i], "--arena-bytes") == 0) {
      arena = true;
    } else if (std::strcmp(argv[i], "--shape") == 0 && i + 1 < argc) {
      shape_text = argv[++i];
    } else if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      char* end = nullptr;
      const long t = std::strtol(argv[++i], &end, 10);
      if (*end != 0 || t < 1 || t > 256) {
        std::fprintf(stderr, "error: --threads wants 1..256, got '%s'\n", argv[i]);
        return 1;
      }
      threads = int(t);
    } else if (std::strcmp(argv[i], "--verify") == 0) {
      verify = true;
    } else if (std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--help") == 0) {
      usage();
      return 0;
    } else if (argv[i][0] == '-' || !path.empty()) {
      std::fprintf(stderr, "error: unexpected argument '%s'\n", argv[i]);
      return usage();
    } else {
      path = argv[i];
    }
  }
  if (path.empty()) {
    std::fprintf(stderr, "error: no model file given\n");
    return usage();
  }
  tvlite::OpenOptions options;
  options.verify = verify ? tvlite::Verify::kFull : tvlite::Verify::kStructure;
  auto model = tvlite::Model::open(path, options);
  if (!model) {
    std::fprintf(stderr, "error: %s: %s\n", path.c_str(), model.status().to_string().c_str());
    return 1;
  }
  if (arena || shape_text != nullptr) {
    tvlite_shape shape;
    if (!arena || shape_text == nullptr || !parse_shape(shape_text, &shape)) {
      std::fprintf(stderr, "error: --arena-bytes needs --shape NxCxHxW (e.g. 1x3x224x224)\n");
      return 1;
    }
    size_t bytes = 0;
    if (tvlite_workspace_size((*model)->bytes(), (*model)->size(), shape, threads, &bytes) !=
        TVLITE_OK) {
      std::fprintf(stderr, "error: %s: %s\n", path.c_str(), tvlite_last_error());
      return 1;
    }
    // One number, for scripts: enough for the C API's workspace and for tvlite::Workspace.
    std::printf("%zu\n", bytes);
    return 0;
  }
  if (json) {
    print_json(**model, verify);
  } else {
    print_text(**model, verify);
  }
  return 0;
}

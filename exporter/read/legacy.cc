// The legacy torch.save container (before PyTorch 1.6, or _use_new_zipfile_serialization=False):
//   pickle(magic 0x1950a86a20f9469cfc6c) pickle(1001) pickle(sys_info) pickle(object)
//   pickle(sorted storage keys) then per key: int64 element count (little-endian) and the bytes.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "read/legacy_magic.h"
#include "read/torch_objects.h"
#include "tvlite/exporter/read.h"

namespace tvlite::exporter {
namespace {

std::vector<uint8_t> read_all(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw ExportError("cannot open " + path + ": " + std::strerror(errno));
  std::vector<uint8_t> buf;
  struct stat st;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) buf.reserve(size_t(st.st_size));
  uint8_t chunk[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      throw ExportError("cannot read " + path + ": " + std::strerror(err));
    }
    if (n == 0) break;
    buf.insert(buf.end(), chunk, chunk + n);
  }
  ::close(fd);
  return buf;
}

const pickle::Value* dict_get(const pickle::Value& d, const char* key) {
  for (const auto& [k, v] : d.dict)
    if (k->kind == pickle::Value::Kind::kStr && k->s == key) return v.get();
  return nullptr;
}

}  // namespace

bool is_legacy_magic(const pickle::Value& v) {
  static const char kMagic[] = "\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19";
  return v.kind == pickle::Value::Kind::kBigInt && v.s == std::string(kMagic, 10);
}

StateDict read_legacy(const std::string& path) {
  using K = pickle::Value::Kind;
  const std::vector<uint8_t> file = read_all(path);
  const uint8_t* d = file.data();
  size_t pos = 0;
  try {
    if (!is_legacy_magic(*pickle::unpickle(d, file.size(), &pos)))
      throw ExportError("it is a pickle, but not one torch.save wrote (no torch magic number)");
    pickle::Ref proto = pickle::unpickle(d, file.size(), &pos);
    if (proto->kind != K::kInt || proto->i != 1001)
      throw ExportError("unsupported legacy protocol " + describe(*proto) + " (expected 1001)");
    pickle::Ref sys_info = pickle::unpickle(d, file.size(), &pos);
    if (sys_info->kind == K::kDict) {
      const pickle::Value* le = dict_get(*sys_info, "little_endian");
      if (le && le->kind == K::kBool && !le->b)
        throw ExportError("written on a big-endian machine, which is not supported");
    }
    pickle::Ref root = pickle::unpickle(d, file.size(), &pos);
    pickle::Ref keys = pickle::unpickle(d, file.size(), &pos);
    if (keys->kind != K::kList) throw ExportError("storage key list is " + describe(*keys));
    const std::map<std::string, StorageRef> storages = collect_storages(root);
    // Each storage is copied out, so that ATen sees element-aligned memory.
    std::map<std::string, std::vector<uint8_t>> bytes;
    for (const pickle::Ref& k : keys->items) {
      if (k->kind != K::kStr) throw ExportError("storage key is " + describe(*k));
      auto it = storages.find(k->s);
      if (it == storages.end()) throw ExportError("storage '" + k->s + "' is never referenced");
      if (file.size() - pos < 8) throw ExportError("truncated before storage '" + k->s + "'");
      uint64_t numel = 0;
      for (int b = 7; b >= 0; --b) numel = (numel << 8) | d[pos + b];
      pos += 8;
      uint64_t n = 0;
      if (__builtin_mul_overflow(numel, element_size(it->second.dtype), &n) ||
          n > file.size() - pos)
        throw ExportError("storage '" + k->s + "' promises " + std::to_string(numel) +
                          " elements, more than the file holds (truncated?)");
      bytes[k->s].assign(d + pos, d + pos + n);
      pos += size_t(n);
    }
    auto resolve = [&](const StorageRef& s) -> StorageBytes {
      auto it = bytes.find(s.key);
      if (it == bytes.end()) throw ExportError("storage '" + s.key + "' is not in the file");
      return {it->second.data(), it->second.size()};
    };
    return state_dict_from_pickle(root, resolve);
  } catch (const ExportError& e) {
    throw ExportError(path + " (legacy torch.save format): " + e.what());
  }
}

}  // namespace tvlite::exporter

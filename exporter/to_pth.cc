// .tvl -> torch.save zip state dict. The pickle is written by hand, in the protocol-2 subset
// torch.save itself emits for a state dict, so that Python's torch.load needs nothing from us.
#include "tvlite/exporter/to_pth.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <c10/util/Exception.h>
#include <caffe2/serialize/inline_container.h>
#include <flatbuffers/flatbuffers.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "tvlite/exporter/state_dict.h"
#include "tvlite/schema/tvlite_generated.h"

namespace tvlite::exporter {
namespace {

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ExportError("cannot open " + path + ": " + std::strerror(errno));
  f.seekg(0, std::ios::end);
  const std::streamoff n = f.tellg();
  f.seekg(0);
  std::vector<uint8_t> buf(size_t(n > 0 ? n : 0));
  if (n > 0 && !f.read(reinterpret_cast<char*>(buf.data()), n))
    throw ExportError("cannot read " + path);
  return buf;
}

// Opcodes of pickle protocol 2 (Python's Lib/pickle.py names).
class PickleWriter {
 public:
  void proto() { out_ += "\x80\x02"; }
  void global(const char* module, const char* name) {
    out_ += 'c';
    out_ += module;
    out_ += '\n';
    out_ += name;
    out_ += '\n';
  }
  void str(const std::string& s) {
    out_ += 'X';
    u32(uint32_t(s.size()));
    out_ += s;
  }
  void integer(int64_t v) {
    if (v >= INT32_MIN && v <= INT32_MAX) {
      out_ += 'J';  // BININT
      u32(uint32_t(int32_t(v)));
    } else {
      out_ += '\x8a';  // LONG1, 8 bytes little-endian two's complement
      out_ += char(8);
      for (int b = 0; b < 8; ++b) out_ += char(uint8_t(uint64_t(v) >> (8 * b)));
    }
  }
  void int_tuple(const std::vector<int64_t>& v) {
    if (v.empty()) {
      out_ += ')';
      return;
    }
    out_ += '(';
    for (int64_t x : v) integer(x);
    out_ += 't';
  }
  void op(char c) { out_ += c; }
  void empty_ordered_dict() {
    global("collections", "OrderedDict");
    out_ += ")R";
  }
  const std::string& bytes() const { return out_; }

 private:
  void u32(uint32_t v) {
    for (int b = 0; b < 4; ++b) out_ += char(uint8_t(v >> (8 * b)));
  }
  std::string out_;
};

const char* storage_type(fb::DType t) {
  switch (t) {
    case fb::DType::F32:
      return "FloatStorage";
    case fb::DType::F16:
      return "HalfStorage";
    case fb::DType::BF16:
      return "BFloat16Storage";
    case fb::DType::I64:
      return "LongStorage";
  }
  throw ExportError("tensor of unknown dtype code " + std::to_string(int(t)));
}

}  // namespace

void tvl_to_pth(const std::string& tvl_path, const std::string& out_path) {
  const std::vector<uint8_t> file = read_file(tvl_path);
  if (file.size() < 8 || !flatbuffers::BufferHasIdentifier(file.data(), fb::ModelIdentifier()))
    throw ExportError(tvl_path + " is not a .tvl file (no TVLT identifier)");
  flatbuffers::Verifier verifier(file.data(),
                                 std::min<size_t>(file.size(), FLATBUFFERS_MAX_BUFFER_SIZE - 1));
  if (!fb::VerifyModelBuffer(verifier))
    throw ExportError(tvl_path + ": FlatBuffers verification failed (truncated or corrupt)");
  const fb::Model* m = fb::GetModel(file.data());
  if (m->format_major() != 1)
    throw ExportError(tvl_path + ": format " + std::to_string(m->format_major()) +
                      ".x is newer than this tool (1.x)");

  PickleWriter p;
  p.proto();
  p.empty_ordered_dict();
  struct Record {
    std::string name;
    const uint8_t* data;
    size_t size;
  };
  std::vector<Record> records;
  for (flatbuffers::uoffset_t i = 0; i < m->tensors()->size(); ++i) {
    const fb::Tensor* t = m->tensors()->Get(i);
    const std::string name = t->name()->str();
    std::vector<int64_t> shape;
    if (t->shape()) shape.assign(t->shape()->begin(), t->shape()->end());
    const size_t es = t->dtype() == fb::DType::I64 ? 8 : t->dtype() == fb::DType::F32 ? 4 : 2;
    uint64_t numel = 1, bytes = 0, end = 0;
    for (int64_t d : shape)
      if (d < 0 || __builtin_mul_overflow(numel, uint64_t(d), &numel))
        throw ExportError(tvl_path + ": tensor '" + name + "' has a bad shape");
    if (__builtin_mul_overflow(numel, es, &bytes) || bytes != t->length() ||
        __builtin_add_overflow(t->offset(), t->length(), &end) || end > file.size())
      throw ExportError(tvl_path + ": tensor '" + name + "' lies outside the file");
    // The way back promises the original bytes: a damaged tensor must not pass silently.
    if (XXH3_64bits(file.data() + t->offset(), t->length()) != t->checksum())
      throw ExportError(tvl_path + ": checksum mismatch in tensor '" + name +
                        "' (the file is damaged)");
    std::vector<int64_t> strides(shape.size(), 1);
    for (size_t d = shape.size(); d-- > 1;)
      strides[d - 1] = strides[d] * std::max<int64_t>(shape[d], 1);
    const std::string key = std::to_string(i);
    // key: torch._utils._rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())
    p.str(name);
    p.global("torch._utils", "_rebuild_tensor_v2");
    p.op('(');
    p.op('(');
    p.str("storage");
    p.global("torch", storage_type(t->dtype()));
    p.str(key);
    p.str("cpu");
    p.integer(int64_t(numel));
    p.op('t');
    p.op('Q');  // BINPERSID
    p.integer(0);
    p.int_tuple(shape);
    p.int_tuple(strides);
    p.op('\x89');  // False: requires_grad
    p.empty_ordered_dict();
    p.op('t');
    p.op('R');
    p.op('s');  // SETITEM into the OrderedDict
    records.push_back({"data/" + key, file.data() + t->offset(), size_t(bytes)});
  }
  p.op('.');

  const std::string tmp = out_path + ".tmp-" + std::to_string(::getpid());
  try {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw ExportError("cannot write " + tmp + ": " + std::strerror(errno));
    {
      caffe2::serialize::PyTorchStreamWriter zip([&out](const void* d, size_t n) -> size_t {
        out.write(static_cast<const char*>(d), std::streamsize(n));
        return out ? n : 0;
      });
      zip.writeRecord("data.pkl", p.bytes().data(), p.bytes().size());
      for (const Record& r : records) zip.writeRecord(r.name, r.data, r.size);
      zip.writeEndOfFile();
    }
    out.close();
    if (!out) throw ExportError("cannot write " + out_path);
    if (std::rename(tmp.c_str(), out_path.c_str()) != 0)
      throw ExportError("cannot replace " + out_path + ": " + std::strerror(errno));
  } catch (const c10::Error& e) {
    std::remove(tmp.c_str());
    std::string why = e.what_without_backtrace();
    throw ExportError("cannot write " + out_path + ": " + why.substr(0, why.find('\n')));
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
}

}  // namespace tvlite::exporter

// libFuzzer target: tvlite::Model::from_buffer on arbitrary bytes and, when a model opens, one
// small inference through a Session.
//
// Each input is tried twice:
//  1. as it is, so the identifier, verifier, version, offset and truncation checks see the bytes
//     exactly as a file would hold them;
//  2. when its FlatBuffer verifies but declares more bytes than are present (a header without its
//     data region, which is what the seed corpus holds), extended with zeros up to the declared
//     end if that is at most kMaxSynthesizedBytes. Real models weigh tens of megabytes; this lets
//     few-kilobyte inputs reach the tensor checks, the architecture manifest, the graph builders,
//     the planner and the kernels at a high exec rate.
//
// The last bytes of the input choose the options (they are tensor padding in a well-formed file):
//   last byte  bit 0: Verify::kFull instead of Verify::kStructure
//              bit 1: pass a misaligned buffer with copy_if_misaligned
//              bits 2-7: input height 8 + (value % 33)
//   byte before the last: input width 8 + (value % 33)
//
// Buffers are allocated with their exact size so that ASan sees any read past the end.
//
// With TVLITE_FUZZ_SKIP_KNOWN=1 in the environment, inputs that would reach a crash already
// reported and reproduced by tests/fuzz_regressions are skipped (see known_crash()), so that a
// fuzzing run looks for new ones instead of stopping on the first old one within seconds.
// scripts/fuzz.sh sets it for the fuzzing phase only; the regression inputs run without it.
#include <cstddef>
#include <cstdint>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tvlite/model.h"
#include "tvlite/schema/tvlite_generated.h"
#include "tvlite/session.h"

namespace {

// Inference only on models whose weights and arena stay small, to keep the exec rate high.
constexpr uint64_t kMaxWeightBytes = uint64_t(64) << 20;
constexpr size_t kMaxArenaBytes = size_t(64) << 20;
// Zero-extension of a header that declares more bytes than the input holds.
constexpr uint64_t kMaxSynthesizedBytes = uint64_t(24) << 20;

// `size` bytes at a 64-byte aligned address (plus `misalign`), ending exactly at the end of the
// allocation.
class ExactBuffer {
 public:
  ExactBuffer(size_t size, size_t misalign) : size_(size) {
    const size_t total = size + misalign;
    // posix_memalign, not aligned_alloc: no rounding of the size up to the alignment.
    void* p = nullptr;
    if (posix_memalign(&p, 64, total == 0 ? 1 : total) != 0) std::abort();
    storage_ = static_cast<uint8_t*>(p);
    data_ = storage_ + misalign;
  }
  ~ExactBuffer() { std::free(storage_); }
  ExactBuffer(const ExactBuffer&) = delete;
  ExactBuffer& operator=(const ExactBuffer&) = delete;
  uint8_t* data() { return data_; }
  size_t size() const { return size_; }

 private:
  uint8_t* storage_ = nullptr;
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

struct Controls {
  bool full = false;
  bool misaligned = false;
  int64_t h = 8, w = 8;
};

Controls controls_of(const uint8_t* data, size_t size) {
  Controls c;
  const uint8_t last = size >= 1 ? data[size - 1] : 0;
  const uint8_t before = size >= 2 ? data[size - 2] : 0;
  c.full = (last & 1) != 0;
  c.misaligned = (last & 2) != 0;
  c.h = 8 + (last >> 2) % 33;
  c.w = 8 + before % 33;
  return c;
}

void open_and_run(const uint8_t* data, size_t size, const Controls& c) {
  ExactBuffer buf(size, c.misaligned ? 1 : 0);
  if (size != 0) std::memcpy(buf.data(), data, size);
  tvlite::OpenOptions options;
  options.verify = c.full ? tvlite::Verify::kFull : tvlite::Verify::kStructure;
  options.copy_if_misaligned = c.misaligned;
  auto model = tvlite::Model::from_buffer(buf.data(), size, options);
  if (!model) return;
  const tvlite::Model& m = **model;

  uint64_t weight_bytes = 0;
  for (const tvlite::TensorInfo& t : m.tensors()) weight_bytes += t.length;
  if (weight_bytes > kMaxWeightBytes) return;

  auto session = tvlite::Session::create(*model);
  if (!session) return;
  const tvlite::Shape4 shape{1, 3, c.h, c.w};
  if (!(*session)->prepare(shape)) return;
  if ((*session)->arena_bytes() > kMaxArenaBytes) return;
  const int64_t classes = (*session)->num_classes();
  if (classes < 1 || classes > (int64_t(1) << 24)) return;

  std::vector<float> input(size_t(shape.c * shape.h * shape.w));
  for (size_t i = 0; i < input.size(); ++i) {
    input[i] = float((uint32_t(i) * 2654435761u) >> 24) / 128.0f - 1.0f;
  }
  std::vector<float> output(static_cast<size_t>(classes));  // exact: ASan catches a longer write
  (void)(*session)->run(shape, input.data(), output.data());
}

bool skip_known = false;

// The FlatBuffer's root when `data` (64-byte aligned) verifies as a tvlite model, else null.
const tvlite::fb::Model* verified_model(const uint8_t* data, size_t size) {
  if (size < 8 || !flatbuffers::BufferHasIdentifier(data, tvlite::fb::ModelIdentifier())) {
    return nullptr;
  }
  flatbuffers::Verifier verifier(data, size, 64, 1u << 20);
  if (!tvlite::fb::VerifyModelBuffer(verifier)) return nullptr;
  return tvlite::fb::GetModel(data);
}

// Inputs that reach one of the crashes in tests/fuzz_regressions/README.md (unfixed when this
// harness was written). `m` is the verified root or null.
// All four crashes recorded in tests/fuzz_regressions are fixed; list an unfixed one here (with
// its reproducer there) so that fuzzing runs go past it while it waits for its fix.
bool known_crash(const uint8_t*, size_t, const tvlite::fb::Model*) { return false; }

// The end of the file the verified FlatBuffer `m` describes (data region and every tensor), or 0
// when there is none.
uint64_t declared_end(const tvlite::fb::Model* m) {
  if (m == nullptr) return 0;
  uint64_t end = 0;
  if (__builtin_add_overflow(m->data_offset(), m->data_length(), &end)) return 0;
  for (const tvlite::fb::Tensor* t : *m->tensors()) {
    uint64_t e = 0;
    if (__builtin_add_overflow(t->offset(), t->length(), &e)) continue;
    if (e > end) end = e;
  }
  return end;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* skip = std::getenv("TVLITE_FUZZ_SKIP_KNOWN");
  skip_known = skip != nullptr && std::string(skip) == "1";
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ExactBuffer header(size, 0);  // the FlatBuffers verifier wants the buffer's own alignment
  if (size != 0) std::memcpy(header.data(), data, size);
  const tvlite::fb::Model* m = verified_model(header.data(), size);
  if (skip_known && known_crash(header.data(), size, m)) return 0;

  const Controls c = controls_of(data, size);
  open_and_run(data, size, c);

  const uint64_t end = declared_end(m);
  if (end > size && end <= kMaxSynthesizedBytes) {
    std::vector<uint8_t> extended(size_t(end), 0);
    std::memcpy(extended.data(), data, size);
    open_and_run(extended.data(), extended.size(), c);
  }
  return 0;
}

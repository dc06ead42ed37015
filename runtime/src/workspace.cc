#include "tvlite/workspace.h"

#include <cstdio>
#include <cstring>

#include "memory.h"
#include "tvlite/model.h"
#include "tvlite/session.h"

namespace tvlite {
namespace {

constexpr size_t kFrontAlign = 64;
constexpr size_t kPrefix = 16;  // keeps the object at the heap's 16-byte alignment

#if TVLITE_HAS_EXCEPTIONS
// Carries its message in place: reporting exhaustion must not allocate.
class WorkspaceExhausted final : public std::bad_alloc {
 public:
  WorkspaceExhausted(size_t capacity, size_t used, size_t bytes) {
    std::snprintf(what_, sizeof what_,
                  "the workspace of %zu bytes is exhausted (%zu used, %zu more asked for): size it "
                  "with workspace_bytes() or tvlite-inspect --arena-bytes",
                  capacity, used, bytes);
  }
  const char* what() const noexcept override { return what_; }

 private:
  char what_[192];
};
#endif

[[noreturn]] void exhausted(size_t capacity, size_t used, size_t bytes) {
#if TVLITE_HAS_EXCEPTIONS
  throw WorkspaceExhausted(capacity, used, bytes);
#else
  (void)capacity, (void)used, (void)bytes;
  std::abort();  // see workspace.h: a build without exceptions cannot unwind out of a container
#endif
}

}  // namespace

Workspace::Workspace(void* buffer, size_t size) {
  const uintptr_t addr = reinterpret_cast<uintptr_t>(buffer);
  const size_t pad = (kFrontAlign - addr % kFrontAlign) % kFrontAlign;
  if (buffer != nullptr && size > pad) {
    base_ = static_cast<uint8_t*>(buffer) + pad;
    capacity_ = size - pad;
  }
}

Workspace Workspace::measuring() { return Workspace(/*measuring=*/true); }

void* Workspace::do_allocate(size_t bytes, size_t alignment) {
  if (alignment == 0 || alignment > kFrontAlign) alignment = kFrontAlign;
  const size_t begin = (used_ + alignment - 1) / alignment * alignment;
  if (begin < used_ || begin > capacity_ || bytes > capacity_ - begin) {
    exhausted(capacity_, used_, bytes);
  }
  used_ = begin + bytes;
  if (measuring_) return ::operator new(bytes == 0 ? 1 : bytes, std::align_val_t(alignment));
  return base_ + begin;
}

void Workspace::do_deallocate(void* p, size_t bytes, size_t alignment) {
  (void)bytes;
  // Monotonic: a buffer's bytes come back only with the Workspace. A measuring workspace
  // returns the heap memory it borrowed but still counts the bytes as used.
  if (alignment == 0 || alignment > kFrontAlign) alignment = kFrontAlign;
  if (measuring_) ::operator delete(p, std::align_val_t(alignment));
}

Result<size_t> workspace_bytes(const void* data, size_t size, const Shape4& shape, int threads) {
  Workspace w = Workspace::measuring();
  size_t used = 0;
  {
    OpenOptions open;
    open.workspace = &w;
    auto model = Model::from_buffer(data, size, open);
    if (!model) return model.status();
    SessionOptions so;
    so.threads = threads;
    so.workspace = &w;
    auto session = Session::create(*model, so);
    if (!session) return session.status();
    const Status st = (*session)->prepare(shape);
    if (!st) return st;
    used = w.used();
  }
  return used + (kFrontAlign - 1);
}

namespace detail {

void* new_in(size_t size, std::pmr::memory_resource* memory) {
  void* base = memory != nullptr ? memory->allocate(size + kPrefix, kPrefix)
                                 : ::operator new(size + kPrefix);
  std::memcpy(base, &memory, sizeof memory);
  return static_cast<uint8_t*>(base) + kPrefix;
}

void delete_in(void* p, size_t size) {
  if (p == nullptr) return;
  uint8_t* base = static_cast<uint8_t*>(p) - kPrefix;
  std::pmr::memory_resource* memory;
  std::memcpy(&memory, base, sizeof memory);
  if (memory != nullptr) {
    memory->deallocate(base, size + kPrefix, kPrefix);
  } else {
    ::operator delete(base);
  }
}

}  // namespace detail
}  // namespace tvlite

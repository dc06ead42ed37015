#include "heap_counter.h"

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

// Linked with -Wl,--wrap=malloc,... (always: see tvlite_heap_counter): the real functions.
extern "C" void* __real_malloc(size_t);
extern "C" int __real_posix_memalign(void**, size_t, size_t);

namespace {
std::atomic<bool> g_armed{false};
std::atomic<size_t> g_calls{0}, g_bytes{0};

void count(size_t size) {
  if (g_armed.load(std::memory_order_relaxed)) {
    g_calls.fetch_add(1, std::memory_order_relaxed);
    g_bytes.fetch_add(size, std::memory_order_relaxed);
  }
}

void* allocate(size_t size, size_t align) {
  count(size);
  if (size == 0) size = 1;
  void* p = nullptr;
  if (align <= alignof(std::max_align_t)) {
    p = __real_malloc(size);  // counted once, above
  } else if (__real_posix_memalign(&p, align, size) != 0) {
    p = nullptr;
  }
  return p;
}
void* allocate_or_throw(size_t size, size_t align) {
  void* p = allocate(size, align);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
}  // namespace

extern "C" {
void heap_counter_arm(void) {
  g_calls = 0;
  g_bytes = 0;
  g_armed = true;
}
size_t heap_counter_disarm(size_t* bytes) {
  g_armed = false;
  if (bytes != nullptr) *bytes = g_bytes.load();
  return g_calls.load();
}

// The malloc family, for callers linked with -Wl,--wrap=... (see heap_counter.h).
void* __real_calloc(size_t, size_t);
void* __real_realloc(void*, size_t);
void* __real_aligned_alloc(size_t, size_t);
void* __wrap_malloc(size_t n) {
  count(n);
  return __real_malloc(n);
}
void* __wrap_calloc(size_t n, size_t m) {
  count(n * m);
  return __real_calloc(n, m);
}
void* __wrap_realloc(void* p, size_t n) {
  count(n);
  return __real_realloc(p, n);
}
void* __wrap_aligned_alloc(size_t a, size_t n) {
  count(n);
  return __real_aligned_alloc(a, n);
}
int __wrap_posix_memalign(void** p, size_t a, size_t n) {
  count(n);
  return __real_posix_memalign(p, a, n);
}
}

void* operator new(size_t n) { return allocate_or_throw(n, 0); }
void* operator new[](size_t n) { return allocate_or_throw(n, 0); }
void* operator new(size_t n, const std::nothrow_t&) noexcept { return allocate(n, 0); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return allocate(n, 0); }
void* operator new(size_t n, std::align_val_t a) { return allocate_or_throw(n, size_t(a)); }
void* operator new[](size_t n, std::align_val_t a) { return allocate_or_throw(n, size_t(a)); }
void* operator new(size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate(n, size_t(a));
}
void* operator new[](size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate(n, size_t(a));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

// The runtime's memory seams: objects that live in a memory resource (the heap or a caller's
// Workspace), and the one place an allocation failure becomes a Status.
#pragma once
#include <cstddef>
#include <exception>
#include <memory_resource>
#include <new>
#include <string>
#include <utility>

#include "tvlite/status.h"

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
#define TVLITE_HAS_EXCEPTIONS 1
#else
#define TVLITE_HAS_EXCEPTIONS 0
#endif

namespace tvlite::detail {

// For class-specific operator new/delete: the object's memory resource is kept in a 16-byte
// prefix, so a plain `delete` (or a unique_ptr / shared_ptr) returns the object to it.
void* new_in(size_t size, std::pmr::memory_resource* memory);
void delete_in(void* p, size_t size);

// Runs f() (returning a Status or a Result); an allocation failure inside it (std::bad_alloc,
// or a Workspace that is too small) comes back as kOutOfMemory with `what` in the message.
// Without exceptions (bare metal) there is nothing to catch: see tvlite/workspace.h.
template <class R, class F>
R catch_oom(const char* what, F&& f) {
#if TVLITE_HAS_EXCEPTIONS
  try {
    return f();
  } catch (const std::exception& e) {  // bad_alloc, length_error past max_size()
    return R(Status(Code::kOutOfMemory, std::string(what) + ": " + e.what()));
  }
#else
  (void)what;
  return f();
#endif
}

}  // namespace tvlite::detail

/* Counts heap allocations between heap_counter_arm() and heap_counter_disarm(), on every
 * thread: heap_counter.cc replaces the global operator new (all forms: what the C++ runtime and
 * its containers use) and, when the program is linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=aligned_alloc,--wrap=posix_memalign
 * (tvlite_heap_counter in CMake does), also counts the malloc family called from the program's
 * statically linked objects: the example, libtvlite and its kernels. C and C++. */
#ifndef TVLITE_EXAMPLES_HEAP_COUNTER_H_
#define TVLITE_EXAMPLES_HEAP_COUNTER_H_
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void heap_counter_arm(void);
/* The number of allocation calls since heap_counter_arm(); *bytes (if not null) their total. */
size_t heap_counter_disarm(size_t* bytes);

#ifdef __cplusplus
}
#endif
#endif

/* The one 64-bit atomic the kernels use (their job counters, std::atomic<int64_t>::fetch_add)
 * for a single-core Cortex-M without LDREXD/libatomic: a bare-metal build runs one thread, so
 * masking interrupts around the read-modify-write makes it atomic. Built only with
 * TVLITE_BARE_METAL; a multi-core target links its own libatomic instead. */
#include <stdint.h>

uint64_t __atomic_fetch_add_8(volatile void* ptr, uint64_t value, int order) {
  volatile uint64_t* p = (volatile uint64_t*)ptr;
  uint32_t primask;
  uint64_t old;
  (void)order;
  __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask) : : "memory");
  old = *p;
  *p = old + value;
  __asm__ volatile("msr primask, %0" : : "r"(primask) : "memory");
  return old;
}

/* A C "firmware" that classifies an embedded input with an embedded model: no file I/O, no heap.
 *
 * The model (a seeded resnet18, generated at build time) is linked into .rodata by
 * tvlite_embed_model(); the workspace is a static array sized at build time
 * (tiny_model_WORKSPACE_BYTES, from tvlite_workspace_size()); the input is a synthetic image made
 * in place. It counts heap allocations around load and inference (heap_counter.h) and exits
 * non-zero unless there were none, and unless the logits equal a heap session's (a check the
 * host can afford; a real device would skip it). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "heap_counter.h"
#include "tiny_model.h"
#include "tvlite/tvlite.h"

#define CLASSES 10
#define H 32
#define W 32

static unsigned char workspace[tiny_model_WORKSPACE_BYTES];
static float image[3 * H * W];
static float logits[CLASSES];

/* A seeded stripe pattern plus noise, normalised roughly as torchvision would. */
static void make_image(void) {
  uint32_t state = 2026;
  int c, y, x;
  for (c = 0; c < 3; ++c) {
    for (y = 0; y < H; ++y) {
      for (x = 0; x < W; ++x) {
        state = state * 1664525u + 1013904223u;
        image[(c * H + y) * W + x] =
            (float)(((x + y * c) % 8) / 4 - 1) + (float)(state >> 8) / (float)(1u << 24) - 0.5f;
      }
    }
  }
}

int main(void) {
  const tvlite_shape shape = {1, 3, H, W};
  tvlite_workspace* ws = NULL;
  tvlite_model* model = NULL;
  tvlite_session* session = NULL;
  tvlite_status st;
  size_t calls, bytes = 0;
  int best = 0, k;

  make_image();
  heap_counter_arm();
  st = tvlite_workspace_create(workspace, sizeof workspace, &ws);
  if (st == TVLITE_OK) st = tvlite_model_from_buffer(tiny_model, tiny_model_SIZE, ws, &model);
  if (st == TVLITE_OK) st = tvlite_session_create_in(model, ws, shape, 1, &session);
  if (st == TVLITE_OK) st = tvlite_run(session, shape, image, logits, CLASSES);
  calls = heap_counter_disarm(&bytes);
  if (st != TVLITE_OK) {
    printf("error: %s\n", tvlite_last_error());
    return 1;
  }
  for (k = 1; k < CLASSES; ++k) {
    if (logits[k] > logits[best]) best = k;
  }
  printf("model %zu bytes in .rodata at %p, workspace %zu bytes (%zu used)\n",
         (size_t)tiny_model_SIZE, (const void*)tiny_model, sizeof workspace,
         tvlite_workspace_used(ws));
  printf("class %d (logit %.4f)\n", best, (double)logits[best]);
  printf("heap allocations during load and inference: %zu (%zu bytes)\n", calls, bytes);

  {
    float heap[CLASSES];
    tvlite_model* m = NULL;
    tvlite_session* s = NULL;
    int same = tvlite_model_from_buffer(tiny_model, tiny_model_SIZE, NULL, &m) == TVLITE_OK &&
               tvlite_session_create(m, 1, &s) == TVLITE_OK &&
               tvlite_run(s, shape, image, heap, CLASSES) == TVLITE_OK &&
               memcmp(heap, logits, sizeof heap) == 0;
    printf("same logits as a heap session: %s\n", same ? "yes" : "NO");
    tvlite_session_destroy(s);
    tvlite_model_destroy(m);
    if (!same) return 1;
  }
  tvlite_session_destroy(session);
  tvlite_model_destroy(model);
  return calls == 0 ? 0 : 1;
}

/* The bare-metal size probe: a program that loads a model from flash into a static workspace
 * and runs it through tvlite.h, linked for a Cortex-M7 with newlib-nano and --gc-sections, so
 * arm-none-eabi-size reports what the core costs in a firmware image (scripts/build-baremetal.sh).
 * The model symbol is a placeholder here (a real image links one from tvlite_embed_model). */
#include <stdint.h>

#include "tvlite/tvlite.h"

__attribute__((aligned(64))) const unsigned char probe_model[64] = {0};
static unsigned char workspace[64 * 1024];
static float input[3 * 32 * 32];
static float logits[16];

int main(void) {
  const tvlite_shape shape = {1, 3, 32, 32};
  tvlite_workspace* ws = 0;
  tvlite_model* model = 0;
  tvlite_session* session = 0;
  tvlite_status st = tvlite_workspace_create(workspace, sizeof workspace, &ws);
  if (st == TVLITE_OK) st = tvlite_model_from_buffer(probe_model, sizeof probe_model, ws, &model);
  if (st == TVLITE_OK) st = tvlite_session_create_in(model, ws, shape, 1, &session);
  if (st == TVLITE_OK) st = tvlite_run(session, shape, input, logits, 16);
  tvlite_session_destroy(session);
  tvlite_model_destroy(model);
  return st == TVLITE_OK ? 0 : (int)tvlite_last_error()[0];
}

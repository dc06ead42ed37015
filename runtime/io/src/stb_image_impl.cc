// The one translation unit that compiles stb_image, restricted to JPEG and PNG from memory.
// The same macros are defined before the declarations-only include in image_decode.cc.
#define STB_IMAGE_IMPLEMENTATION
#include "stb_config.h"

// stb_image configuration shared by every tvlite_io file that includes it (internal).
#ifndef TVLITE_IO_SRC_STB_CONFIG_H_
#define TVLITE_IO_SRC_STB_CONFIG_H_

#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_NO_STDIO  // tvlite_io reads files itself and decodes from memory
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#include <stb_image.h>

#endif  // TVLITE_IO_SRC_STB_CONFIG_H_

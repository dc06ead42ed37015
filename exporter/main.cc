// tvlite-export: a thin face over tvlite_exporter (see tvlite/exporter/cli.h).
#include <iostream>

#include "tvlite/exporter/cli.h"

int main(int argc, char** argv) {
  return tvlite::exporter::export_main(argc, argv, std::cout, std::cerr);
}

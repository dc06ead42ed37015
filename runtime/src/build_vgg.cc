// torchvision.models.vgg: VGG-11/13/16/19, with or without batch norm.
#include "build_vgg.h"

#include "graph_builder.h"
#include "tvlite/schema/manifest.h"

namespace tvlite::detail {

Status build_vgg(const Model& model, Graph* graph) {
  const ArchInfo& arch = model.arch();
  GraphBuilder b(model, graph);
  int x = b.input();
  int index = 0;  // position in torchvision's nn.Sequential `features`
  for (int channels : arch.vgg_layers) {
    if (channels == schema::kVGGMaxPool) {
      x = b.max_pool(x, 2, 2, 0);
      ++index;
      continue;
    }
    // VGG's convs have a bias, and the _bn variants still apply batch norm after it (TRAPS 11).
    x = b.conv(Name("features.").num(index), x, 1, 1, 1, /*has_bias=*/true);
    if (arch.batch_norm) {
      x = b.batch_norm(Name("features.").num(index + 1), x, /*relu=*/true);
      index += 3;
    } else {
      x = b.relu(x);
      index += 2;
    }
  }
  x = b.adaptive_avg_pool(x, 7, 7);
  x = b.relu(b.linear("classifier.0", x));
  x = b.relu(b.linear("classifier.3", x));
  x = b.linear("classifier.6", x);
  b.finish(x);
  return b.status();
}

}  // namespace tvlite::detail

// torchvision.models.alexnet (the "one weird trick" variant torchvision ships).
#include "graph_builder.h"

namespace tvlite::detail {

Status build_alexnet(const Model& model, Graph* graph) {
  GraphBuilder b(model, graph);
  int x = b.relu(b.conv("features.0", b.input(), 4, 2, 1, true));
  x = b.max_pool(x, 3, 2, 0);
  x = b.relu(b.conv("features.3", x, 1, 2, 1, true));
  x = b.max_pool(x, 3, 2, 0);
  x = b.relu(b.conv("features.6", x, 1, 1, 1, true));
  x = b.relu(b.conv("features.8", x, 1, 1, 1, true));
  x = b.relu(b.conv("features.10", x, 1, 1, 1, true));
  x = b.max_pool(x, 3, 2, 0);
  x = b.adaptive_avg_pool(x, 6, 6);
  // Dropout (classifier.0, classifier.3) is the identity at inference.
  x = b.relu(b.linear("classifier.1", x));
  x = b.relu(b.linear("classifier.4", x));
  x = b.linear("classifier.6", x);
  b.finish(x);
  return b.status();
}

}  // namespace tvlite::detail

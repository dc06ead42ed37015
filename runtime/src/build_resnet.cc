// torchvision.models.resnet: ResNet with BasicBlock or Bottleneck (v1.5: stride on the 3x3).
#include "graph_builder.h"

namespace tvlite::detail {

Status build_resnet(const Model& model, Graph* graph) {
  const ArchInfo& arch = model.arch();
  const bool bottleneck = arch.block == "bottleneck";
  GraphBuilder b(model, graph);
  int x = b.conv("conv1", b.input(), /*stride=*/2, /*pad=*/3, 1, false);
  x = b.batch_norm("bn1", x, /*relu=*/true);
  x = b.max_pool(x, 3, 2, 1);
  const int expansion = bottleneck ? 4 : 1;
  int inplanes = 64;
  for (size_t stage = 0; stage < arch.layers.size(); ++stage) {
    const int planes = 64 << stage;
    for (int i = 0; i < arch.layers[stage]; ++i) {
      Name p("layer");
      p.num(int64_t(stage + 1)).append(".").num(i).append(".");
      const int stride = (stage > 0 && i == 0) ? 2 : 1;
      const int identity = x;
      int y;
      if (bottleneck) {
        y = b.batch_norm(p + "bn1", b.conv(p + "conv1", x, 1, 0, 1, false), true);
        y = b.batch_norm(p + "bn2", b.conv(p + "conv2", y, stride, 1, arch.groups, false), true);
        y = b.batch_norm(p + "bn3", b.conv(p + "conv3", y, 1, 0, 1, false), false);
      } else {
        y = b.batch_norm(p + "bn1", b.conv(p + "conv1", x, stride, 1, 1, false), true);
        y = b.batch_norm(p + "bn2", b.conv(p + "conv2", y, 1, 1, 1, false), false);
      }
      // The configuration decides where a downsample is, as in torchvision (never the file:
      // tensors the manifest does not list are never bound, so every bound shape is checked).
      int shortcut = identity;
      if (i == 0 && (stride != 1 || inplanes != planes * expansion)) {
        shortcut = b.batch_norm(p + "downsample.1",
                                b.conv(p + "downsample.0", identity, stride, 0, 1, false), false);
      }
      x = b.add(y, shortcut, /*relu=*/true);
      inplanes = planes * expansion;
    }
  }
  x = b.adaptive_avg_pool(x, 1, 1);
  x = b.linear("fc", x);
  b.finish(x);
  return b.status();
}

}  // namespace tvlite::detail

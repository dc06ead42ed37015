// The VGG family builder (declared here rather than in graph.h, which other builders share).
#pragma once
#include "graph.h"

namespace tvlite::detail {

// torchvision.models.vgg: features from the model's vgg_layers (conv3x3 pad 1 with bias,
// BatchNorm2d when batch_norm, ReLU; MaxPool2d(2, 2) per marker), AdaptiveAvgPool2d(7, 7),
// classifier Linear-ReLU-Dropout-Linear-ReLU-Dropout-Linear (dropout is the identity here).
Status build_vgg(const Model& model, Graph* graph);

}  // namespace tvlite::detail

// Recognising the architecture of a state dict from its keys and shapes.
#pragma once
#include <string>

#include "tvlite/exporter/state_dict.h"
#include "tvlite/schema/manifest.h"

namespace tvlite::exporter {

// ResNet-18/34/50/101/152, ResNeXt and Wide ResNet (block type from conv3, blocks per stage from
// layerN.M keys, groups and width_per_group from layer1.0's conv1/conv2 shapes), AlexNet
// (features.N / classifier.1) and VGG-11/13/16/19 with or without batch norm (the features.N
// keys); num_classes from the classifier's rows. A non-empty
// arch_name overrides the recognition (num_classes still comes from the file when it can).
// Throws ExportError naming the first keys and listing the supported architectures.
schema::ArchConfig detect_arch(const StateDict& sd, const std::string& arch_name = "");

}  // namespace tvlite::exporter

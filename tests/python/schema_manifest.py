#!/usr/bin/env python3
"""Prints every state-dict entry of torchvision's models, for tests/schema to compare with
schema/manifest.cc: lines "arch num_classes name dim,dim,...".
usage: /usr/bin/python3 schema_manifest.py"""
import torchvision

ARCHS = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d",
         "resnext101_32x8d", "resnext101_64x4d", "wide_resnet50_2", "wide_resnet101_2", "alexnet",
         "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"]
for arch in ARCHS:
    for classes in (1000, 7):
        sd = getattr(torchvision.models, arch)(weights=None, num_classes=classes).state_dict()
        for name, t in sd.items():
            print(arch, classes, name, ",".join(str(d) for d in t.shape) or "-")

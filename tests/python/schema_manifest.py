#!/usr/bin/env python3
"""Prints every state-dict entry of torchvision's models, for tests/schema to compare with
schema/manifest.cc: lines "arch num_classes name dim,dim,...".
usage: /usr/bin/python3 schema_manifest.py"""
import torchvision

for arch in ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "alexnet"]:
    for classes in (1000, 7):
        sd = getattr(torchvision.models, arch)(weights=None, num_classes=classes).state_dict()
        for name, t in sd.items():
            print(arch, classes, name, ",".join(str(d) for d in t.shape) or "-")

#!/usr/bin/python3
"""Benchmark models for bench/compare: seeded torchvision models (weights=None, eval mode), one
per architecture, in the three forms the contenders read, plus their multiply-accumulate count.

usage: /usr/bin/python3 make_models.py OUTDIR ARCH [ARCH ...]
Writes, per ARCH, into OUTDIR:
  ARCH.pth        torch.save(model.state_dict())                  -> tvlite-export
  ARCH.ts.pt      torch.jit.freeze(torch.jit.script(model.eval())) -> libtorch_bench
  ARCH.onnx       torch.onnx.export, opset 13, fixed 1x3x224x224    -> ort_bench.js
  ARCH.macs.json  {"macs": ..., "by_type": {...}} for 1x3x224x224, counted by forward hooks
  ARCH.ok         written last; an ARCH with .ok present is skipped (the step is idempotent)
Needs Debian's torch (/usr/bin/python3); the python3 on PATH has none.
"""
import json
import os
import sys

import torch
import torchvision

SEED = 2026
SHAPE = (1, 3, 224, 224)


def count_macs(model):
    """MACs of one forward pass at SHAPE: convolutions (per output element, C_in/groups x kH x kW)
    and linear layers. Batch norm, ReLU, pooling and the residual adds are left out, as in the
    usual published counts (they are well under 1% of the total)."""
    by_type = {"Conv2d": 0, "Linear": 0}

    def conv_hook(m, inp, out):
        kh, kw = m.kernel_size
        by_type["Conv2d"] += out.numel() * (m.in_channels // m.groups) * kh * kw

    def linear_hook(m, inp, out):
        by_type["Linear"] += out.numel() * m.in_features

    handles = []
    for m in model.modules():
        if isinstance(m, torch.nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, torch.nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    with torch.no_grad():
        model(torch.zeros(SHAPE))
    for h in handles:
        h.remove()
    return sum(by_type.values()), by_type


def make(arch, outdir):
    torch.manual_seed(SEED)
    model = getattr(torchvision.models, arch)(weights=None).eval()
    stem = os.path.join(outdir, arch)
    torch.save(model.state_dict(), stem + ".pth")

    macs, by_type = count_macs(model)
    with open(stem + ".macs.json", "w") as f:
        json.dump({"arch": arch, "shape": list(SHAPE), "macs": macs, "by_type": by_type}, f)

    with torch.no_grad():
        frozen = torch.jit.freeze(torch.jit.script(model.eval()))
    frozen.save(stem + ".ts.pt")

    torch.onnx.export(model, torch.zeros(SHAPE), stem + ".onnx", opset_version=13,
                      input_names=["input"], output_names=["logits"], do_constant_folding=True)
    open(stem + ".ok", "w").write("seed %d\n" % SEED)


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: make_models.py OUTDIR ARCH [ARCH ...]")
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    torch.set_num_threads(2)
    for arch in sys.argv[2:]:
        if not os.path.exists(os.path.join(outdir, arch + ".ok")):
            print("make_models: %s" % arch, file=sys.stderr)
            make(arch, outdir)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Whole-model parity fixtures: seeded torchvision models with randomized batch-norm statistics
(so batch norm is no identity), saved as torch.save(model.state_dict()), with inputs and
PyTorch's own logits for several batch and input sizes.

usage: /usr/bin/python3 model_fixtures.py OUTDIR [ARCH ...]
Writes OUTDIR/<arch>.pth and OUTDIR/<arch>_<n>x<h>x<w>.{input,expected}.npy, then OUTDIR/<arch>.ok.
"""
import os
import sys

import numpy as np
import torch
import torchvision

# (batch, height, width): 224x224 plus odd, non-square and small sizes. AlexNet at 67x67 ends
# its features at 1x1, so its adaptive 6x6 pool upsamples (TRAPS 7).
CASES = {
    "resnet18": [(1, 224, 224), (2, 97, 131), (3, 33, 45)],
    "resnet50": [(1, 224, 224), (2, 113, 87)],
    "alexnet": [(1, 224, 224), (2, 127, 99), (1, 67, 67)],
    "resnet34": [(1, 96, 80)],
    "resnet101": [(1, 64, 72)],
    "resnet152": [(1, 64, 64)],
}


def randomize(model, gen):
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(torch.rand(c, generator=gen) - 0.5)
            m.running_var.copy_(torch.rand(c, generator=gen) * 1.5 + 0.5)
            m.weight.data.copy_(torch.rand(c, generator=gen) + 0.5)
            m.bias.data.copy_(torch.rand(c, generator=gen) - 0.5)
            m.num_batches_tracked.fill_(int(torch.randint(1, 1000, (1,), generator=gen)))


def make(arch, outdir, seed):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = getattr(torchvision.models, arch)(weights=None)
    with torch.no_grad():
        randomize(model, gen)
        if arch == "alexnet":
            # torchvision's default init shrinks AlexNet's logits to ~0.03, which would make the
            # max(1, |logit|) bound loose; a gain of 2 per layer brings them to order 10.
            for m in model.modules():
                if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
                    m.weight.mul_(2.0)
    model.eval()
    torch.save(model.state_dict(), os.path.join(outdir, arch + ".pth"))
    for n, h, w in CASES[arch]:
        x = torch.randn(n, 3, h, w, generator=gen)
        with torch.no_grad():
            y = model(x)
        stem = os.path.join(outdir, "%s_%dx%dx%d" % (arch, n, h, w))
        np.save(stem + ".input.npy", x.numpy().astype(np.float32))
        np.save(stem + ".expected.npy", y.numpy().astype(np.float32))
    open(os.path.join(outdir, arch + ".ok"), "w").write(
        "\n".join("%dx%dx%d" % c for c in CASES[arch]) + "\n")


def main():
    outdir = sys.argv[1]
    archs = sys.argv[2:] or list(CASES)
    os.makedirs(outdir, exist_ok=True)
    torch.set_num_threads(2)
    for i, arch in enumerate(archs):
        if not os.path.exists(os.path.join(outdir, arch + ".ok")):
            make(arch, outdir, seed=1000 + i)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Fixtures for tests/archs: every architecture tvlite-export supports beyond the first issue's,
and every input kind a user's weights file comes in, with PyTorch's own logits.

usage: /usr/bin/python3 exporter_archs.py gen OUTDIR
       /usr/bin/python3 exporter_archs.py check OUTDIR NAME=ROUNDTRIP.pth ...

gen writes, per architecture ARCH (seeded torchvision model, weights=None, randomized batch-norm
statistics, few classes): OUTDIR/ARCH.pth (torch.save(model.state_dict())),
OUTDIR/ARCH.input.npy, OUTDIR/ARCH.expected.npy; and per input kind KIND (resnet18, 10 classes,
saved the way KIND says): OUTDIR/kind_KIND.pth or .pt with kind_KIND.{input,expected}.npy. Each
item is finished by OUTDIR/NAME.ok holding this script's hash, so a build folder generates each
once and regenerates when the script changes. Prints "NAME classes NxCxHxW" lines.

check loads each round-trip file with torch.load, loads it into a fresh model with
load_state_dict(strict=True) and compares every tensor with the original .pth (same keys in the
same order, same dtype, torch.equal). Prints one line per item; exit status 1 on any difference.
"""
import hashlib
import io
import os
import sys
import zlib

import numpy as np
import torch
import torchvision

HERE = os.path.abspath(__file__)
SCRIPT_HASH = hashlib.sha256(open(HERE, "rb").read()).hexdigest()[:16]

# name: (classes, height, width). ResNeXt/Wide ResNet at 64x64; VGG needs >= 32x32.
ARCHS = {
    "resnext50_32x4d": (10, 64, 64),
    "resnext101_32x8d": (7, 64, 64),
    "resnext101_64x4d": (5, 64, 64),
    "wide_resnet50_2": (10, 64, 64),
    "wide_resnet101_2": (3, 64, 64),
    "vgg11": (10, 32, 32),
    "vgg11_bn": (6, 32, 32),
    "vgg13": (4, 32, 32),
    "vgg13_bn": (10, 32, 32),
    "vgg16": (8, 32, 32),
    "vgg16_bn": (2, 40, 48),
    "vgg19": (10, 32, 32),
    "vgg19_bn": (9, 32, 32),
}

KINDS = [
    "legacy", "whole_model", "whole_model_legacy", "ckpt_state_dict", "ckpt_model",
    "ckpt_model_state_dict", "ckpt_net", "ckpt_nested", "prefix_module", "prefix_model",
    "float16", "bfloat16", "noncontiguous", "channels_last", "one_storage", "zero_sized",
    "torchscript",
]


def seed_of(name):
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def randomize(model, gen):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                c = m.num_features
                m.running_mean.copy_(torch.rand(c, generator=gen) - 0.5)
                m.running_var.copy_(torch.rand(c, generator=gen) * 1.5 + 0.5)
                m.weight.copy_(torch.rand(c, generator=gen) + 0.5)
                m.bias.copy_(torch.rand(c, generator=gen) - 0.5)
                m.num_batches_tracked.fill_(int(torch.randint(1, 1000, (1,), generator=gen)))
            elif isinstance(m, torch.nn.Conv2d) and m.bias is not None:
                m.bias.copy_(torch.rand(m.out_channels, generator=gen) * 0.2 - 0.1)


def make_model(arch, classes, seed):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = getattr(torchvision.models, arch)(weights=None, num_classes=classes)
    randomize(model, gen)
    if arch.startswith("vgg"):
        # torchvision's N(0, 0.01) classifier init gives logits of order 0.01, which would make
        # the max(1, |logit|) bound loose: a gain of 4 per linear layer brings them to order 1.
        with torch.no_grad():
            for m in model.classifier:
                if isinstance(m, torch.nn.Linear):
                    m.weight.mul_(4.0)
    return model.eval(), gen


def logits(model, x):
    with torch.no_grad():
        return model(x).float().numpy()


def finish(outdir, name, x, y):
    np.save(os.path.join(outdir, name + ".input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(outdir, name + ".expected.npy"), y.astype(np.float32))
    with open(os.path.join(outdir, name + ".ok"), "w") as f:
        f.write(SCRIPT_HASH + "\n")


def fresh(outdir, name):
    try:
        return open(os.path.join(outdir, name + ".ok")).read().strip() == SCRIPT_HASH
    except OSError:
        return False


def gen_arch(outdir, arch):
    classes, h, w = ARCHS[arch]
    model, gen = make_model(arch, classes, seed_of(arch))
    torch.save(model.state_dict(), os.path.join(outdir, arch + ".pth"))
    x = torch.randn(1, 3, h, w, generator=gen)
    finish(outdir, arch, x, logits(model, x))


def gen_kind(outdir, kind):
    model, gen = make_model("resnet18", 10, seed_of("kinds"))
    x = torch.randn(1, 3, 64, 64, generator=gen)
    sd = model.state_dict()
    path = os.path.join(outdir, "kind_" + kind + (".pt" if kind == "torchscript" else ".pth"))
    legacy = dict(_use_new_zipfile_serialization=False)
    expected = None
    if kind == "legacy":
        torch.save(sd, path, **legacy)
    elif kind == "whole_model":
        torch.save(model, path)  # read back without torchvision's classes
    elif kind == "whole_model_legacy":
        torch.save(model, path, **legacy)
    elif kind.startswith("ckpt_") and kind != "ckpt_nested":
        torch.save({"epoch": 7, kind[5:]: sd, "best_acc": 0.5}, path)
    elif kind == "ckpt_nested":
        torch.save({"epoch": 7, "checkpoint": {"model_state_dict": sd}}, path)
    elif kind == "prefix_module":
        torch.save({"module." + k: v for k, v in sd.items()}, path)
    elif kind == "prefix_model":
        torch.save({"state_dict": {"model." + k: v for k, v in sd.items()}}, path)
    elif kind in ("float16", "bfloat16"):
        dtype = torch.float16 if kind == "float16" else torch.bfloat16
        low = {k: v.to(dtype) if v.is_floating_point() else v for k, v in sd.items()}
        torch.save(low, path)
        # PyTorch's reference on the rounded weights, computed in fp32 as tvlite does.
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in low.items()})
        expected = logits(model, x)
    elif kind == "noncontiguous":
        # Every 2-D and 4-D tensor stored transposed in memory: real strides, not C order.
        odd = {}
        for k, v in sd.items():
            if v.dim() >= 2:
                perm = list(range(v.dim()))[::-1]
                odd[k] = v.permute(perm).contiguous().permute(perm)
                assert not odd[k].is_contiguous()
            else:
                odd[k] = v
        torch.save(odd, path)
    elif kind == "channels_last":
        torch.save({k: v.contiguous(memory_format=torch.channels_last) if v.dim() == 4 else v
                    for k, v in sd.items()}, path)
    elif kind == "one_storage":
        # All float tensors are views into one storage at different offsets.
        floats = [k for k, v in sd.items() if v.is_floating_point()]
        flat = torch.cat([sd[k].flatten() for k in floats] + [torch.zeros(123)])
        views, at = {}, 0
        for k, v in sd.items():
            if v.is_floating_point():
                views[k] = flat[at:at + v.numel()].view(v.shape)
                at += v.numel()
            else:
                views[k] = v
        torch.save(views, path)
    elif kind == "zero_sized":
        # Zero-sized storages next to the state dict (an empty optimizer buffer, an empty mask).
        torch.save({"model": sd, "empty": torch.empty(0), "mask": torch.zeros(0, 3)}, path)
        torch.save({"model": sd, "empty": torch.empty(0)}, path[:-4] + "_legacy.pth", **legacy)
    elif kind == "torchscript":
        torch.jit.script(model).save(path)
    else:
        raise SystemExit("unknown kind " + kind)
    finish(outdir, "kind_" + kind, x, logits(model, x) if expected is None else expected)


def check(outdir, pairs):
    bad = 0
    for pair in pairs:
        name, roundtrip = pair.split("=", 1)
        original = torch.load(os.path.join(outdir, name + ".pth"), map_location="cpu")
        back = torch.load(roundtrip, map_location="cpu")
        arch = name if name in ARCHS else "resnet18"
        classes = ARCHS[name][0] if name in ARCHS else 10
        model = getattr(torchvision.models, arch)(weights=None, num_classes=classes)
        problems = []
        try:
            model.load_state_dict(back, strict=True)
        except RuntimeError as e:
            problems.append("load_state_dict(strict=True): " + str(e).splitlines()[0])
        if list(original) != list(back):
            problems.append("keys differ")
        for k, v in original.items():
            b = back.get(k)
            if b is None or b.dtype != v.dtype or b.shape != v.shape or not torch.equal(b, v):
                problems.append("tensor %s differs" % k)
        print("%s: %d tensors, %s" % (name, len(original),
                                      "bit-identical" if not problems else "; ".join(problems[:5])))
        bad += bool(problems)
    sys.exit(1 if bad else 0)


def main():
    torch.set_num_threads(2)
    mode, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    if mode == "check":
        check(outdir, sys.argv[3:])
        return
    for arch in ARCHS:
        if not fresh(outdir, arch):
            gen_arch(outdir, arch)
        print(arch, ARCHS[arch][0], "1x3x%dx%d" % ARCHS[arch][1:])
    for kind in KINDS:
        if not fresh(outdir, "kind_" + kind):
            gen_kind(outdir, kind)
        print("kind_" + kind, 10, "1x3x64x64")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Generates the exporter test fixtures: torchvision models saved in the containers torch.save and
torch.jit produce, plus malformed files, each with a reference of its tensors.

Usage: exporter_fixtures.py OUTDIR

Weights come from torchvision constructors (weights=None) under torch.manual_seed, never from
downloads. A file <name>.ref lists, per tensor in state-dict order, a tab-separated line:
  name  dtype  shape(comma-separated, empty for a scalar)  crc32(hex, of the bytes the .tvl must hold)  nbytes
where those bytes are the tensor made contiguous, floats widened to float32, little-endian.
OUTDIR/stamp holds the hash of this script: a second run with an unchanged script does nothing.
"""
import collections
import hashlib
import os
import pickle
import sys
import zipfile
import zlib

import torch
import torchvision


def expected_bytes(t):
    t = t.detach()
    if t.is_floating_point():
        t = t.float()
    return t.contiguous().numpy().tobytes()


def write_ref(path, sd):
    with open(path, "w") as f:
        for k, v in sd.items():
            b = expected_bytes(v)
            dt = "float32" if v.is_floating_point() else str(v.dtype).replace("torch.", "")
            shape = ",".join(str(d) for d in v.shape)
            f.write(f"{k}\t{dt}\t{shape}\t{zlib.crc32(b) & 0xffffffff:08x}\t{len(b)}\n")


def save(outdir, name, obj, ref=None):
    torch.save(obj, os.path.join(outdir, name + ".pth"))
    if ref is not None:
        write_ref(os.path.join(outdir, name + ".ref"), ref)


def model(arch, seed, **kw):
    torch.manual_seed(seed)
    m = getattr(torchvision.models, arch)(weights=None, **kw).eval()
    # Non-trivial running statistics and counters, so that buffers are checked too.
    with torch.no_grad():
        for n, b in m.named_buffers():
            if b.is_floating_point():
                b.uniform_(0.5, 1.5)
            else:
                b.fill_(7)
    return m


def rewrite_zip(src, dst, edit):
    """Copies zip src to dst, passing each (name, data) through edit (None drops the record)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            data = edit(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr(info.filename, data)


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    with open(__file__, "rb") as f:
        stamp = hashlib.sha256(f.read() + torch.__version__.encode()).hexdigest()
    stamp_path = os.path.join(outdir, "stamp")
    if os.path.exists(stamp_path) and open(stamp_path).read() == stamp:
        return
    if os.path.exists(stamp_path):
        os.unlink(stamp_path)

    # Every architecture, as a plain zip state dict.
    for i, arch in enumerate(["resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "alexnet"]):
        sd = model(arch, i).state_dict()
        save(outdir, arch, sd, sd)
    for arch in ["resnet18", "alexnet"]:
        sd = model(arch, 10, num_classes=10).state_dict()
        save(outdir, arch + "_c10", sd, sd)

    m18 = model("resnet18", 0)
    sd = m18.state_dict()
    # Checkpoint dicts and DataParallel names.
    save(outdir, "ckpt_state_dict", {"epoch": 3, "state_dict": sd, "best_acc1": 0.5,
                                     "optimizer": {"state": {}, "param_groups": [{"lr": 0.1}]}})
    save(outdir, "ckpt_model", {"model": sd, "args": None})
    save(outdir, "module_prefix", collections.OrderedDict(("module." + k, v) for k, v in sd.items()))
    # A Lightning-style module keeping the network as `backbone` beside a head of its own.
    torch.manual_seed(5)
    wrapped_sd = collections.OrderedDict(("backbone." + k, v) for k, v in sd.items())
    wrapped_sd["head.weight"] = torch.randn(128, 1000)
    wrapped_sd["head.bias"] = torch.randn(128)
    save(outdir, "backbone_in_module", {"epoch": 9, "state_dict": wrapped_sd})
    # The same under a Lightning module's own `model.` (every key: the reader strips it).
    save(outdir, "model_backbone", collections.OrderedDict(("model." + k, v) for k, v in wrapped_sd.items()))
    # TorchScript archive of the same weights (TRAPS 6).
    torch.jit.script(m18).save(os.path.join(outdir, "resnet18_script.pt"))
    # The legacy (non-zip) container of the same weights (TRAPS 6).
    torch.save(sd, os.path.join(outdir, "resnet18_legacy.pth"), _use_new_zipfile_serialization=False)
    # channels_last weights (TRAPS 1): strides are real.
    cl = model("resnet18", 0).to(memory_format=torch.channels_last).state_dict()
    assert not cl["conv1.weight"].is_contiguous()
    save(outdir, "resnet18_channels_last", cl, cl)
    torch.manual_seed(1)
    w = torch.randn(8, 3, 3, 3).to(memory_format=torch.channels_last)
    assert w.stride() == (27, 1, 9, 3)
    save(outdir, "trap1_channels_last", {"w": w}, {"w": w})
    # Views sharing one storage (TRAPS 2).
    big = torch.arange(4000, dtype=torch.float32) * 0.5
    views = {"a": big[1000:2000], "b": big[5:7]}
    save(outdir, "trap2_views", views, views)
    # Wrapped parameters (TRAPS 3).
    params = dict(m18.named_parameters())
    save(outdir, "trap3_params", params, params)
    wrapped = collections.OrderedDict(
        (k, torch.nn.Parameter(v, requires_grad=False) if v.is_floating_point() else v)
        for k, v in sd.items())
    save(outdir, "trap3_wrapped_state_dict", wrapped, sd)
    # No num_batches_tracked (TRAPS 4).
    old = collections.OrderedDict((k, v) for k, v in sd.items() if "num_batches_tracked" not in k)
    save(outdir, "trap4_no_counters", old, old)
    # Half and bfloat16 (TRAPS 5).
    half = model("resnet18", 0).half().state_dict()
    save(outdir, "trap5_half", half, half)
    bf = collections.OrderedDict((k, v.bfloat16() if v.is_floating_point() else v) for k, v in sd.items())
    save(outdir, "trap5_bf16", bf, bf)

    # Files the checker must refuse, each with a named reason.
    missing = collections.OrderedDict(sd)
    del missing["fc.bias"]
    save(outdir, "bad_missing", missing)
    extra = collections.OrderedDict(sd)
    extra["extra.weight"] = torch.zeros(2)
    save(outdir, "bad_unexpected", extra)
    shaped = collections.OrderedDict(sd)
    shaped["layer1.0.conv1.weight"] = torch.zeros(64, 64, 5, 5)
    save(outdir, "bad_shape", shaped)
    ints = collections.OrderedDict(sd)
    ints["fc.bias"] = torch.zeros(1000, dtype=torch.int32)
    save(outdir, "bad_dtype", ints)
    save(outdir, "bad_unknown_arch", {"encoder.layers.0.weight": torch.zeros(4, 4),
                                      "encoder.layers.0.bias": torch.zeros(4)})
    save(outdir, "bad_list", [torch.zeros(3), 1, 2])
    save(outdir, "bad_whole_model", m18)
    with open(os.path.join(outdir, "bad_plain.pkl"), "wb") as f:
        pickle.dump({"a": 1}, f, protocol=2)
    # Dims that promise more than the data holds (TRAPS 18): 9408 elements, 9407 floats stored.
    torch.save({"w": torch.zeros(64, 3, 7, 7)}, os.path.join(outdir, "tmp_trap18.pth"))
    rewrite_zip(os.path.join(outdir, "tmp_trap18.pth"), os.path.join(outdir, "trap18_short.pth"),
                lambda n, d: d[:9407 * 4] if n.endswith("/data/0") else d)
    # A view whose storage offset lies past the end of its storage.
    torch.save({"w": torch.zeros(10)[4:]}, os.path.join(outdir, "tmp_offset.pth"))
    rewrite_zip(os.path.join(outdir, "tmp_offset.pth"), os.path.join(outdir, "bad_offset.pth"),
                lambda n, d: d[:8] if n.endswith("/data/0") else d)
    rewrite_zip(os.path.join(outdir, "tmp_offset.pth"), os.path.join(outdir, "bad_no_data_pkl.pth"),
                lambda n, d: None if n.endswith("data.pkl") else d)
    with open(os.path.join(outdir, "resnet18.pth"), "rb") as f:
        head = f.read(1 << 20)
    with open(os.path.join(outdir, "bad_truncated.pth"), "wb") as f:
        f.write(head)
    with open(os.path.join(outdir, "bad_garbage.pth"), "wb") as f:
        f.write(bytes((i * 7919 + 13) % 251 for i in range(4096)))  # deterministic noise
    open(os.path.join(outdir, "bad_empty.pth"), "wb").close()
    for n in ["tmp_trap18.pth", "tmp_offset.pth"]:
        os.unlink(os.path.join(outdir, n))

    with open(stamp_path, "w") as f:
        f.write(stamp)


if __name__ == "__main__":
    main()

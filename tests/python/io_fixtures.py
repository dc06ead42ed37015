#!/usr/bin/env python3
"""Generates the tvlite_io test fixtures into OUTDIR (run by tests/io at test time).

Usage: io_fixtures.py OUTDIR
       io_fixtures.py --pil-rgb SRC OUT.npy   PIL's Image.open(SRC).convert('RGB') pixels only

Ground truth comes from the reference libraries themselves: Pillow 9.4 for decoding and
resizing, torchvision 0.14 for the ImageNet transforms, numpy for .npy files. Everything is
written under OUTDIR (never committed) and listed in OUTDIR/manifest.txt, one case a line:
  resize    KIND SRC OUT_W OUT_H EXPECTED      PIL img.resize((w, h), Image.BILINEAR)
  chain     KIND SRC RESIZE CROP_H CROP_W EXPECTED
                                               torchvision Resize/CenterCrop/ToTensor/Normalize
  decode    KIND SRC PIL_PIXELS                 PIL Image.open(SRC).convert('RGB')
  npy       PATH NDIM DIMS...                   numpy-written float32, values f(i) below
  npy_bad   PATH MESSAGE_FRAGMENT               numpy-written files tvlite must refuse
  image_bad PATH MESSAGE_FRAGMENT
KIND says how the C++ side gets the source pixels: "png" decodes SRC with tvlite (exact),
"pixels" reads SRC as PIL's decoded pixels (an HxWx3 float32 .npy), "jpeg" decodes SRC with
tvlite (exact with libjpeg; with the stb_image fallback measured, not exact). Pixel arrays are
float32 .npy files of shape (H, W, 3) holding integers 0-255; tensors are (3, H, W).
"""
import os
import sys

import numpy as np
from PIL import Image
import skimage.data
import torch
from torchvision import transforms

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def npy_value(i):
    """The value at flat index i of every numpy-written test array (tests/io mirrors it)."""
    return (i % 7) * 0.25 - 1.0 + (i // 7) * 0.5


def synthetic(w, h, seed):
    """Noise over a gradient: every pixel differs, so any resampling slip shows."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([xx * 255.0 / max(w - 1, 1), yy * 255.0 / max(h - 1, 1),
                     (xx + yy) * 127.0 / max(w + h - 2, 1)], axis=-1)
    noise = rng.integers(-60, 61, size=(h, w, 3))
    return Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8), "RGB")


class Writer:
    def __init__(self, out):
        self.out = out
        self.lines = []

    def path(self, name):
        return os.path.join(self.out, name)

    def pixels(self, img, name):
        np.save(self.path(name), np.asarray(img.convert("RGB"), dtype=np.float32))
        return name

    def resize(self, kind, src, img, w, h, name):
        out = img.resize((w, h), Image.BILINEAR)
        self.lines.append(f"resize {kind} {src} {w} {h} {self.pixels(out, name)}")

    def chain(self, kind, src, img, resize, crop_h, crop_w, name):
        t = transforms.Compose([transforms.Resize(resize), transforms.CenterCrop((crop_h, crop_w)),
                                transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
        y = t(img.convert("RGB"))
        assert y.dtype == torch.float32 and tuple(y.shape) == (3, crop_h, crop_w)
        np.save(self.path(name), y.numpy())
        self.lines.append(f"chain {kind} {src} {resize} {crop_h} {crop_w} {name}")


def images(wr):
    # Synthetic RGB images, saved as PNG (lossless: tvlite decodes them to PIL's exact pixels).
    cases = {  # name: (w, h, resize targets)
        "s640x480": (640, 480, [(341, 256), (224, 224), (1000, 750)]),
        "s100x80": (100, 80, [(37, 29), (50, 40), (100, 23), (13, 80), (333, 217)]),
        "s37x29": (37, 29, [(100, 80), (74, 58), (38, 30), (37, 100), (5, 29)]),
        "s333x217": (333, 217, [(111, 73), (167, 109), (332, 216)]),
        "s1x17": (1, 17, [(1, 5), (3, 40), (1, 1)]),
        "s17x1": (17, 1, [(40, 1), (5, 1), (4, 3)]),
        "s1x1": (1, 1, [(3, 3), (1, 7)]),
        "s2x3": (2, 3, [(1, 1), (5, 7)]),
    }
    for i, (name, (w, h, targets)) in enumerate(sorted(cases.items())):
        img = synthetic(w, h, seed=i)
        src = name + ".png"
        img.save(wr.path(src))
        for tw, th in targets:
            wr.resize("png", src, img, tw, th, f"{name}_r{tw}x{th}.npy")

    # The preprocessing traps (TRAPS 13-15) and a non-square crop with odd padding.
    chains = [  # (w, h, resize, crop_h, crop_w)
        (640, 480, 256, 224, 224), (640, 427, 256, 224, 224), (451, 300, 256, 224, 224),
        (343, 256, 256, 224, 224), (24, 24, 24, 50, 50), (300, 200, 200, 224, 224),
        (23, 21, 21, 25, 26), (480, 640, 256, 224, 224), (256, 256, 256, 224, 224),
        (199, 301, 160, 150, 101),
    ]
    for i, (w, h, resize, ch, cw) in enumerate(chains):
        img = synthetic(w, h, seed=100 + i)
        src = f"c{w}x{h}.png"
        img.save(wr.path(src))
        wr.chain("png", src, img, resize, ch, cw, f"c{w}x{h}_r{resize}_c{ch}x{cw}.npy")

    # Real photos, as PNG and as JPEG (4:2:0, 4:4:4, progressive).
    photos = {"astronaut": skimage.data.astronaut(), "chelsea": skimage.data.chelsea(),
              "coffee": skimage.data.coffee()}
    for name, arr in photos.items():
        img = Image.fromarray(arr, "RGB")
        w, h = img.size
        img.save(wr.path(name + ".png"))
        wr.resize("png", name + ".png", img, 256 * w // min(w, h), 256 * h // min(w, h),
                  f"{name}_png_r256.npy")
        wr.resize("png", name + ".png", img, 300, 177, f"{name}_png_r300x177.npy")
        wr.chain("png", name + ".png", img, 256, 224, 224, f"{name}_png_chain.npy")
        jpegs = {"q90": dict(quality=90), "q75_444": dict(quality=75, subsampling=0),
                 "q85_prog": dict(quality=85, progressive=True)}
        for tag, opts in jpegs.items():
            jpg = f"{name}_{tag}.jpg"
            img.save(wr.path(jpg), "JPEG", **opts)
            decoded = Image.open(wr.path(jpg)).convert("RGB")
            pix = wr.pixels(decoded, f"{name}_{tag}_pil.npy")
            wr.lines.append(f"decode jpeg {jpg} {pix}")
            wr.chain("pixels", pix, decoded, 256, 224, 224, f"{name}_{tag}_chain.npy")
            wr.lines.append(f"chain jpeg {jpg} 256 224 224 {name}_{tag}_chain.npy")
            dw, dh = decoded.size
            wr.resize("pixels", pix, decoded, 256 * dw // min(dw, dh), 256 * dh // min(dw, dh),
                      f"{name}_{tag}_r256.npy")

    # Other PNG modes, converted as PIL's convert('RGB'): grey replicated, alpha dropped,
    # palette expanded.
    chelsea = Image.fromarray(skimage.data.chelsea(), "RGB")
    alpha = Image.fromarray(np.random.default_rng(7).integers(0, 256, chelsea.size[::-1],
                                                             dtype=np.uint8), "L")
    others = {
        "grey": Image.fromarray(skimage.data.camera(), "L"),
        "grey_alpha": Image.merge("LA", (chelsea.convert("L"), alpha)),
        "rgba": Image.merge("RGBA", (*chelsea.split(), alpha)),
        "palette": chelsea.convert("P", palette=Image.ADAPTIVE, colors=200),
    }
    for name, img in others.items():
        src = f"mode_{name}.png"
        img.save(wr.path(src))
        reopened = Image.open(wr.path(src))
        wr.lines.append(f"decode png {src} {wr.pixels(reopened, f'mode_{name}_pil.npy')}")
        wr.chain("png", src, reopened, 256, 224, 224, f"mode_{name}_chain.npy")
    grey_jpg = "mode_grey.jpg"
    others["grey"].save(wr.path(grey_jpg), "JPEG", quality=90)
    pix = wr.pixels(Image.open(wr.path(grey_jpg)), "mode_grey_jpg_pil.npy")
    wr.lines.append(f"decode jpeg {grey_jpg} {pix}")

    Image.fromarray(np.arange(64 * 48, dtype=np.uint16).reshape(48, 64) * 20, "I;16").save(
        wr.path("grey16.png"))
    wr.lines.append("image_bad grey16.png 16-bit greyscale PNG")
    with open(wr.path("not_an_image.png"), "wb") as f:
        f.write(b"this is a text file, not a PNG\n")
    wr.lines.append("image_bad not_an_image.png not a JPEG or PNG")


def npy_files(wr):
    shapes = [(), (0,), (7,), (2, 3), (3, 1, 4), (2, 3, 4, 5), (1, 1, 1, 1, 1, 1, 2), (5, 0, 3)]
    for shape in shapes:
        n = int(np.prod(shape))
        a = np.array([npy_value(i) for i in range(n)], dtype=np.float32).reshape(shape)
        name = "np_" + ("x".join(map(str, shape)) or "scalar") + ".npy"
        np.save(wr.path(name), a)
        wr.lines.append(f"npy {name} {len(shape)} {' '.join(map(str, shape))}".rstrip())
    a = np.array([npy_value(i) for i in range(24)], dtype=np.float32).reshape(2, 3, 4)
    for version in [(2, 0), (3, 0)]:
        name = f"np_v{version[0]}_2x3x4.npy"
        with open(wr.path(name), "wb") as f:
            np.lib.format.write_array(f, a, version=version)
        wr.lines.append(f"npy {name} 3 2 3 4")

    bad = {
        "bad_f8.npy": (a.astype(np.float64), "file has <f8"),
        "bad_i4.npy": (a.astype(np.int32), "file has <i4"),
        "bad_big.npy": (a.astype(">f4"), "big-endian"),
        "bad_fortran.npy": (np.asfortranarray(a[0]), "fortran_order"),
        "bad_struct.npy": (np.zeros(3, dtype=[("x", "<f4"), ("y", "<i4")]), "structured"),
    }
    for name, (arr, fragment) in bad.items():
        np.save(wr.path(name), arr)
        wr.lines.append(f"npy_bad {name} {fragment}")
    with open(wr.path("np_v2_2x3x4.npy"), "rb") as f:
        whole = f.read()
    with open(wr.path("bad_truncated.npy"), "wb") as f:
        f.write(whole[:-5])
    wr.lines.append("npy_bad bad_truncated.npy truncated")
    open(wr.path("bad_empty.npy"), "wb").close()
    wr.lines.append("npy_bad bad_empty.npy empty")


def segments(data):
    """Splits a JPEG into (marker, body) up to and including the first SOS; then (None, rest)."""
    assert data[:2] == b"\xff\xd8"
    out, pos = [], 2
    while True:
        marker = data[pos + 1]
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        out.append((marker, bytearray(data[pos + 4:pos + 2 + length])))
        pos += 2 + length
        if marker == 0xDA:
            return out, data[pos:]


def join(segs, rest):
    b = bytearray(b"\xff\xd8")
    for marker, body in segs:
        b += bytes([0xFF, marker]) + (len(body) + 2).to_bytes(2, "big") + body
    return bytes(b + rest)


def rgb_coded(data):
    """A JPEG libjpeg reads as RGB-coded: no JFIF marker, component ids 'R', 'G', 'B'.

    The samples are still YCbCr, so the colours are odd; what matters is that libjpeg (and so
    PIL) skips the YCbCr->RGB conversion, the path of JPEGs written with Adobe's RGB."""
    segs, rest = segments(data)
    segs = [(m, b) for m, b in segs if m != 0xE0]
    ids = {1: ord("R"), 2: ord("G"), 3: ord("B")}
    for m, b in segs:
        if m in (0xC0, 0xC2):  # SOF: precision, height, width, count, then 3 bytes a component
            for c in range(b[5]):
                b[6 + 3 * c] = ids[b[6 + 3 * c]]
        elif m == 0xDA:  # SOS: count, then 2 bytes a component
            for c in range(b[0]):
                b[1 + 2 * c] = ids[b[1 + 2 * c]]
    return join(segs, rest)


def ycck_coded(data):
    """A CMYK JPEG whose Adobe marker says transform 2 (YCCK): libjpeg converts YCCK->CMYK."""
    segs, rest = segments(data)
    adobe = [b for m, b in segs if m == 0xEE and b[:5] == b"Adobe"]
    assert len(adobe) == 1 and adobe[0][11] == 0, "PIL's CMYK JPEG has an Adobe transform 0"
    adobe[0][11] = 2
    return join(segs, rest)


def jpeg_cases(wr):
    """JPEGs of every structure PIL writes, plus RGB-, CMYK- and YCCK-coded ones."""
    def add(name, img=None, data=None, **opts):
        if data is None:
            img.save(wr.path(name), "JPEG", **opts)
        else:
            with open(wr.path(name), "wb") as f:
                f.write(data)
        pix = wr.pixels(Image.open(wr.path(name)), name.replace(".", "_") + "_pil.npy")
        wr.lines.append(f"decode jpeg {name} {pix}")

    chelsea = Image.fromarray(skimage.data.chelsea(), "RGB")
    add("chelsea_q80_422.jpg", chelsea, quality=80, subsampling=1)
    add("chelsea_q95_opt.jpg", chelsea, quality=95, optimize=True)
    add("chelsea_q60_prog_444.jpg", chelsea, quality=60, progressive=True, subsampling=0)
    grey = Image.fromarray(skimage.data.camera(), "L")
    add("camera_prog.jpg", grey, quality=80, progressive=True)
    # Odd sizes: partial MCUs at the right and bottom edges, 1-pixel rows and columns.
    for i, (w, h) in enumerate([(37, 29), (1, 17), (17, 1), (333, 217), (2, 3), (1, 1),
                                (17, 15)]):
        img = synthetic(w, h, seed=200 + i)
        for tag, sub in (("420", 2), ("422", 1), ("444", 0)):
            add(f"odd{w}x{h}_{tag}.jpg", img, quality=85, subsampling=sub)
        add(f"odd{w}x{h}_prog.jpg", img, quality=85, progressive=True)
        add(f"odd{w}x{h}_grey.jpg", img.convert("L"), quality=85)
    with open(wr.path("chelsea_q80_422.jpg"), "rb") as f:
        add("chelsea_rgb_coded.jpg", data=rgb_coded(f.read()))
    cmyk = chelsea.convert("CMYK")
    add("chelsea_cmyk.jpg", cmyk, quality=90)
    with open(wr.path("chelsea_cmyk.jpg"), "rb") as f:
        add("chelsea_ycck.jpg", data=ycck_coded(f.read()))
    # Whole chain from the file, for a subsampling the photos above do not cover.
    decoded = Image.open(wr.path("chelsea_q80_422.jpg"))
    wr.chain("jpeg", "chelsea_q80_422.jpg", decoded, 256, 224, 224, "chelsea_q80_422_chain.npy")
    decoded = Image.open(wr.path("chelsea_cmyk.jpg"))
    wr.chain("jpeg", "chelsea_cmyk.jpg", decoded, 256, 224, 224, "chelsea_cmyk_chain.npy")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--pil-rgb":
        np.save(sys.argv[3], np.asarray(Image.open(sys.argv[2]).convert("RGB"), np.float32))
        return
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    wr = Writer(out)
    npy_files(wr)
    images(wr)
    jpeg_cases(wr)
    tmp = wr.path("manifest.txt.tmp")
    with open(tmp, "w") as f:
        f.write("\n".join(wr.lines) + "\n")
    os.replace(tmp, wr.path("manifest.txt"))  # the manifest last: its presence means complete


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The real-data demo's PyTorch side (run with Debian's /usr/bin/python3).

  digits.py train OUTDIR   train torchvision resnet18(num_classes=10) on the UCI handwritten
                           digits shipped by python3-sklearn (8x8 upscaled to 3x32x32), save
                           torch.save(model.state_dict()) as OUTDIR/digits_resnet18.pth and the
                           held-out digits as OUTDIR/test_images.npy / test_labels.npy, and
                           PyTorch's own logits as OUTDIR/torch_logits.npy. Cached: skipped when
                           the files exist.
  digits.py score OUTDIR TVLITE_LOGITS.npy
                           accuracy of tvlite's logits and agreement with PyTorch's.
  digits.py photo OUTDIR   a real photo (skimage's chelsea) as PNG and JPEG, a seeded ImageNet
                           resnet18, and PyTorch's logits for the photo through torchvision's
                           ImageNet transforms on the PIL image.
  digits.py photo-score OUTDIR TVLITE_LOGITS.npy
"""
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

MEAN, STD = 0.5, 0.5  # digits are scaled to [0,1], then normalized to [-1,1]


def load_digits():
    from sklearn.datasets import load_digits
    d = load_digits()
    x = torch.tensor(d.images, dtype=torch.float32).unsqueeze(1) / 16.0  # N x 1 x 8 x 8
    x = F.interpolate(x, size=(32, 32), mode="bilinear", align_corners=False)
    x = ((x - MEAN) / STD).repeat(1, 3, 1, 1).contiguous()
    y = torch.tensor(d.target, dtype=torch.int64)
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))
    n_test = len(y) // 5
    return x[perm[n_test:]], y[perm[n_test:]], x[perm[:n_test]], y[perm[:n_test]]


def train(outdir):
    pth = os.path.join(outdir, "digits_resnet18.pth")
    if all(os.path.exists(os.path.join(outdir, f)) for f in
           ("digits_resnet18.pth", "test_images.npy", "test_labels.npy", "torch_logits.npy")):
        print("digits: using the cached model %s" % pth)
        return
    torch.manual_seed(0)
    np.random.seed(0)  # the shift augmentation
    torch.set_num_threads(os.cpu_count() or 1)
    xtr, ytr, xte, yte = load_digits()
    model = torchvision.models.resnet18(weights=None, num_classes=10)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    epochs, batch = 10, 64
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, epochs=epochs,
                                                steps_per_epoch=(len(ytr) + batch - 1) // batch)
    t0 = time.time()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(ytr))
        for i in range(0, len(ytr), batch):
            idx = perm[i:i + batch]
            xb = xtr[idx]
            # light augmentation: shift by up to 2 pixels
            dx, dy = np.random.randint(-2, 3, size=2)
            xb = torch.roll(xb, shifts=(int(dy), int(dx)), dims=(2, 3))
            loss = F.cross_entropy(model(xb), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        model.eval()
        with torch.no_grad():
            acc = (model(xte).argmax(1) == yte).float().mean().item()
        print("digits: epoch %2d  loss %.4f  held-out accuracy %.2f %%  (%.0f s)"
              % (epoch + 1, loss.item(), 100 * acc, time.time() - t0), flush=True)
    model.eval()
    with torch.no_grad():
        logits = model(xte)
    torch.save(model.state_dict(), pth)
    np.save(os.path.join(outdir, "test_images.npy"), xte.numpy())
    np.save(os.path.join(outdir, "test_labels.npy"), yte.numpy().astype(np.int64))
    np.save(os.path.join(outdir, "torch_logits.npy"), logits.numpy())


def score(outdir, tvlite_logits):
    labels = np.load(os.path.join(outdir, "test_labels.npy"))
    ref = np.load(os.path.join(outdir, "torch_logits.npy"))
    out = np.load(tvlite_logits)
    assert out.shape == ref.shape, (out.shape, ref.shape)
    pt, tv = ref.argmax(1), out.argmax(1)
    acc_pt, acc_tv = (pt == labels).mean(), (tv == labels).mean()
    agree = int((pt == tv).sum())
    diff = float(np.abs(out - ref).max())
    bound = 1e-4 * max(1.0, float(np.abs(ref).max()))
    print("digits: %d held-out images" % len(labels))
    print("digits: PyTorch accuracy %.2f %%, tvlite accuracy %.2f %%" % (100 * acc_pt, 100 * acc_tv))
    print("digits: predictions agreeing with PyTorch: %d / %d" % (agree, len(labels)))
    print("digits: max |tvlite - PyTorch| logit %.3g (bound %.3g)" % (diff, bound))
    ok = agree == len(labels) and acc_tv == acc_pt and acc_tv >= 0.95 and diff <= bound
    print("digits: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


def photo(outdir):
    from PIL import Image
    from skimage import data
    img = Image.fromarray(data.chelsea())  # 451 x 300 RGB photo of a cat
    img.save(os.path.join(outdir, "chelsea.png"))
    img.save(os.path.join(outdir, "chelsea.jpg"), quality=95)
    torch.manual_seed(7)
    model = torchvision.models.resnet18(weights=None).eval()
    torch.save(model.state_dict(), os.path.join(outdir, "imagenet_resnet18.pth"))
    t = torchvision.transforms
    tf = t.Compose([t.Resize(256), t.CenterCrop(224), t.ToTensor(),
                    t.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    x = torch.stack([tf(Image.open(os.path.join(outdir, f)).convert("RGB"))
                     for f in ("chelsea.png", "chelsea.jpg")])
    with torch.no_grad():
        np.save(os.path.join(outdir, "photo_torch_logits.npy"), model(x).numpy())


def photo_score(outdir, tvlite_logits):
    ref = np.load(os.path.join(outdir, "photo_torch_logits.npy"))
    out = np.load(tvlite_logits)
    diff = float(np.abs(out - ref).max())
    bound = 1e-4 * max(1.0, float(np.abs(ref).max()))
    ok = diff <= bound
    for row, name in enumerate(("chelsea.png", "chelsea.jpg")):
        top_ref, top_out = list(np.argsort(-ref[row])[:5]), list(np.argsort(-out[row])[:5])
        print("photo: %s: PyTorch top-5 %s, tvlite top-5 %s, max |diff| %.3g"
              % (name, top_ref, top_out, float(np.abs(out[row] - ref[row]).max())))
        ok = ok and top_ref == top_out
    print("photo: max |tvlite - PyTorch| logit %.3g (bound %.3g)" % (diff, bound))
    print("photo: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    cmd, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    if cmd == "train":
        train(outdir)
    elif cmd == "score":
        sys.exit(score(outdir, sys.argv[3]))
    elif cmd == "photo":
        photo(outdir)
    elif cmd == "photo-score":
        sys.exit(photo_score(outdir, sys.argv[3]))
    else:
        sys.exit("unknown command " + cmd)

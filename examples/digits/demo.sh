#!/usr/bin/env bash
# The real-data demo, end to end: train torchvision's resnet18 on the UCI handwritten digits
# (cached after the first run), save it with torch.save(model.state_dict()), export it with
# tvlite-export, classify the held-out digits with tvlite-run, and compare with PyTorch.
# Then a real photo through tvlite-run's image path, compared with torchvision's transforms.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
bash scripts/install-deps.sh
bash scripts/build.sh
py=/usr/bin/python3   # Debian's interpreter, the one with torch
bin=build/bin
work=build/demo
mkdir -p "$work"

echo "== 1. train resnet18 on the digits (PyTorch)"
"$py" examples/digits/digits.py train "$work"
echo "== 2. export"
"$bin/tvlite-export" "$work/digits_resnet18.pth" -o "$work/digits_resnet18.tvl" \
  --input-size 32 --mean 0.5,0.5,0.5 --std 0.5,0.5,0.5
# (to a file first: with pipefail, `| head` would kill tvlite-inspect with SIGPIPE)
"$bin/tvlite-inspect" "$work/digits_resnet18.tvl" > "$work/digits_resnet18.inspect.txt"
head -3 "$work/digits_resnet18.inspect.txt"
echo "== 3. classify the held-out digits with tvlite-run"
"$bin/tvlite-run" "$work/digits_resnet18.tvl" --input "$work/test_images.npy" \
  --output "$work/tvlite_logits.npy" --threads 2
"$py" examples/digits/digits.py score "$work" "$work/tvlite_logits.npy"

echo "== 4. a real photo through the image path (seeded ImageNet resnet18)"
"$py" examples/digits/digits.py photo "$work"
"$bin/tvlite-export" "$work/imagenet_resnet18.pth" -o "$work/imagenet_resnet18.tvl"
"$bin/tvlite-run" "$work/imagenet_resnet18.tvl" "$work/chelsea.png" "$work/chelsea.jpg" --topk 3 \
  --output "$work/photo_logits.npy"
"$py" examples/digits/digits.py photo-score "$work" "$work/photo_logits.npy"

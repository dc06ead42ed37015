#!/usr/bin/env python3
"""Compares the logits of one .tvl and one input computed on two machines (x86 and an ARM target
under qemu): the parity bound max|got - want| <= 1e-4 * max(1, max|want|), and the same argmax on
every row. Exits 0 when they agree, 1 (with the reason) when they do not, 2 on bad arguments.

usage: compare_logits.py WANT.npy GOT.npy [LABEL]
       compare_logits.py --perturbed WANT.npy OUT.npy   (writes WANT with one row's argmax moved,
                                                         to check that a difference is caught)
"""
import sys

import numpy as np


def check(want, got, label):
    if want.dtype != np.float32 or got.dtype != np.float32:
        return "dtypes %s and %s, expected float32" % (want.dtype, got.dtype)
    if want.shape != got.shape or want.ndim != 2 or want.size == 0:
        return "shapes %s and %s differ or are not N x classes" % (want.shape, got.shape)
    if not np.all(np.isfinite(want)) or not np.all(np.isfinite(got)):
        return "non-finite logits"
    diff = float(np.max(np.abs(want.astype(np.float64) - got.astype(np.float64))))
    peak = float(np.max(np.abs(want)))
    bound = 1e-4 * max(1.0, peak)
    rows = int(np.sum(np.argmax(want, axis=1) == np.argmax(got, axis=1)))
    print("%s: %s, max abs diff %.2e (bound %.2e), max abs logit %.3g, argmax %d/%d rows" %
          (label, "x".join(map(str, want.shape)), diff, bound, peak, rows, want.shape[0]))
    if diff > bound:
        return "max abs diff %.3e exceeds the bound %.3e" % (diff, bound)
    if rows != want.shape[0]:
        return "argmax differs on %d of %d rows" % (want.shape[0] - rows, want.shape[0])
    return None


def main(argv):
    if len(argv) == 4 and argv[1] == "--perturbed":
        want = np.load(argv[2])
        out = want.copy()
        row = out[0]
        second = int(np.argsort(row)[-2])
        row[second] = row.max() + 1e-3 * max(1.0, float(np.max(np.abs(want))))
        np.save(argv[3], out)
        return 0
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    label = argv[3] if len(argv) == 4 else argv[2]
    error = check(np.load(argv[1]), np.load(argv[2]), label)
    if error:
        print("error: %s: %s" % (label, error), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

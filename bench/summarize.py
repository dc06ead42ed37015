#!/usr/bin/python3
"""Markdown summary of one bench/compare run.

usage: summarize.py RESULTS/raw.jsonl
Reads the JSON lines bench/compare wrote (env, fma_peak, macs, ort_providers, run, end) and prints
the tables described in bench/README.md. Every latency cell is the median, over the repetitions,
of each process's median latency.
"""
import json
import statistics
import sys

NAMES = {"tvlite": "tvlite", "tvlite_blas": "tvlite+OpenBLAS", "libtorch": "LibTorch",
         "ort": "ORT"}
PEERS = ("libtorch", "ort")


def fmt(x, digits=1):
    return "-" if x is None else "%.*f" % (digits, x)


def main():
    lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    env = next(l for l in lines if l["kind"] == "env")
    end = next((l for l in lines if l["kind"] == "end"), {})
    # The FMA peak is measured at start and end; the best of the two is the machine's.
    peaks = [l for l in lines if l["kind"] == "fma_peak"]
    peak = None
    if peaks:
        peak = {"isa": peaks[0]["result"]["isa"],
                "gflops": {t: max(p["result"]["gflops"][t] for p in peaks) for t in ("1", "2")}}
    macs = {l["model"]: l["result"]["macs"] for l in lines if l["kind"] == "macs"}
    providers = {l["model"]: l["result"] for l in lines if l["kind"] == "ort_providers"}
    runs = [l for l in lines if l["kind"] == "run"]

    models = list(dict.fromkeys(r["model"] for r in runs))
    threads = sorted({r["threads"] for r in runs})
    contenders = [c for c in NAMES if any(r["contender"] == c for r in runs)]
    errors = [r for r in runs if "error" in r["result"]]

    def ok(c, m, t):
        return [r["result"] for r in runs if (r["contender"], r["model"], r["threads"]) == (c, m, t)
                and "error" not in r["result"]]

    def med(c, m, t, key=lambda x: x["latency_ms"]["median"]):
        vals = [key(x) for x in ok(c, m, t)]
        return statistics.median(vals) if vals else None

    print("## tvlite vs LibTorch vs ONNX Runtime: batch 1, 3x224x224, fp32\n")
    print("- date: %s (end %s)" % (env["date"], end.get("date", "?")))
    print("- CPU: %s, %d logical CPUs, flags: %s" % (env["cpu"], env["cpus"], env["flags"]))
    print("- load average (1/5/15 min): start %s, end %s" %
          (env["loadavg_start"], end.get("loadavg_end", "?")))
    print("- tvlite %s, build %s%s" % (env["tvlite_rev"], env["build"],
                                       ", OpenBLAS build " + env["blas_build"]
                                       if env["blas_build"] else ", no OpenBLAS build"))
    print("- each cell: median over %d interleaved repetitions of each process's median of %d "
          "timed runs after %d warmup runs" % (env["reps"], env["iters"], env["warmup"]))
    if peak:
        print("- measured FMA peak (%s, fma_peak; best of start and end): %s GFLOP/s at 1 thread, "
              "%s at 2 threads (%s)" % (peak["isa"], peak["gflops"]["1"], peak["gflops"]["2"],
                                         "; ".join("%s %s / %s" % (p["when"], p["result"]["gflops"]["1"],
                                                                  p["result"]["gflops"]["2"])
                                                   for p in peaks)))
    print()

    head = ["model", "threads"] + ["%s ms" % NAMES[c] for c in contenders] + [
        "tvlite / best peer", "tvlite GFLOP/s", "FMA peak GFLOP/s", "tvlite % of peak"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for m in models:
        for t in threads:
            cells = {c: med(c, m, t) for c in contenders}
            peers = [cells[c] for c in PEERS if cells.get(c) is not None]
            tv = cells.get("tvlite")
            ratio = tv / min(peers) if tv is not None and peers else None
            gflops = 2.0 * macs[m] / (tv * 1e6) if tv is not None and m in macs else None
            pk = peak["gflops"].get(str(t)) if peak else None
            row = [m, str(t)] + [fmt(cells[c]) for c in contenders] + [
                fmt(ratio, 2), fmt(gflops), fmt(pk), fmt(100.0 * gflops / pk if gflops and pk
                                                         else None, 0)]
            print("| " + " | ".join(row) + " |")
    print()
    print("FLOPs = 2 x MACs of convolutions and linear layers, counted by bench/make_models.py: " +
          ", ".join("%s %.3f GMAC" % (m, macs[m] / 1e9) for m in models if m in macs) +
          " (torchvision's model docs list 1.81 / 4.09 / 0.71 GFLOPS, meaning GMAC).\n")

    print("### Spread: each repetition's median (ms)\n")
    print("| model | threads | " + " | ".join(NAMES[c] for c in contenders) + " |")
    print("|---|---|" + "---|" * len(contenders))
    for m in models:
        for t in threads:
            print("| %s | %d | " % (m, t) + " | ".join(
                " / ".join(fmt(x["latency_ms"]["median"]) for x in ok(c, m, t)) or "-"
                for c in contenders) + " |")
    print()

    for m in [x for x in models if x == "resnet50"] or models[:1]:
        t = threads[0]
        print("### Load and memory, %s, %d thread(s) (medians over repetitions)\n" % (m, t))
        print("| contender | load ms | peak RSS MiB | peak RSS - mapped weights MiB | arena MiB |")
        print("|---|---|---|---|---|")
        for c in contenders:
            rs = ok(c, m, t)
            if not rs:
                continue
            load = statistics.median(x["load_ms"] for x in rs)
            rss = statistics.median(x["peak_rss_kb"] for x in rs) / 1024.0
            if "weights_bytes" in rs[0]:
                net = statistics.median(x["peak_rss_kb"] - x["weights_bytes"] / 1024.0
                                        for x in rs) / 1024.0
                arena = rs[0]["arena_bytes"] / 2.0**20
            else:
                net = arena = None
            print("| %s | %s | %s | %s | %s |" % (NAMES[c], fmt(load), fmt(rss), fmt(net),
                                                 fmt(arena)))
        print()

    print("### Checks\n")
    for m in models:
        sums = {c: ok(c, m, threads[0])[0].get("out_sum") for c in PEERS if ok(c, m, threads[0])}
        if len(sums) == 2 and None not in sums.values():
            a, b = sums["libtorch"], sums["ort"]
            print("- %s: sum of logits LibTorch %.6g, ORT %.6g (same model and input)" % (m, a, b))
    for m, p in providers.items():
        if "providers" in p:
            print("- ORT %s on %s: %s" % (p.get("runtime", "?"), m, ", ".join(
                "%s x%d" % (k, v) for k, v in sorted(p["providers"].items()))))
        else:
            print("- ORT provider check on %s failed: %s" % (m, p.get("error", "?")))
    for r in errors:
        print("- FAILED %s %s threads=%d rep=%d: %s" % (r["contender"], r["model"], r["threads"],
                                                       r["rep"], r["result"]["error"].strip()))


if __name__ == "__main__":
    main()

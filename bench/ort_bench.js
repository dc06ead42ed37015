#!/usr/bin/env node
// node ort_bench.js MODEL.onnx [--threads N] [--warmup N] [--iters N] [--shape NxCxHxW]
//                   [--profile FILE]
// The ONNX Runtime contender of bench/compare (onnxruntime-node, CPU execution provider). Prints
// one JSON object with the fields of `tvlite-bench --json` (load_ms, latency_ms
// min/median/p90/max, peak_rss_kb), plus the provider every node ran on, read from ORT's own
// profile. NODE_PATH must reach the node_modules that holds onnxruntime-node.
//
// load_ms is InferenceSession.create (graph optimization included) to ready. peak_rss_kb is the
// node process's, so it includes the JavaScript engine (~40 MB). The input is tvlite-bench's
// pattern, (i % 255 - 127) / 128.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const ort = require('onnxruntime-node');

function fail(msg) {
  process.stderr.write('error: ' + msg + '\n');
  process.exit(1);
}

// Nearest-rank percentile of sorted samples, the same rule as tvlite-bench.
function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// Which execution provider ran each node, from the profile ORT writes at endProfiling().
// Counts are per run (the profile covers warmup and timed runs alike).
function providersFromProfile(file, runs) {
  const counts = {};
  for (const ev of JSON.parse(fs.readFileSync(file, 'utf8'))) {
    if (ev.cat === 'Node' && ev.name.endsWith('_kernel_time') && ev.args && ev.args.provider) {
      const key = ev.args.provider + ':' + ev.args.op_name;
      counts[key] = (counts[key] || 0) + 1;
    }
  }
  for (const k of Object.keys(counts)) counts[k] = Math.round(counts[k] / runs);
  return counts;
}

async function main() {
  const args = process.argv.slice(2);
  let model = null, profile = null;
  const opt = {threads: 1, warmup: 3, iters: 20};
  let shape = [1, 3, 224, 224];
  for (let i = 0; i < args.length; ++i) {
    const a = args[i];
    if (['--threads', '--warmup', '--iters'].includes(a) && i + 1 < args.length) {
      const v = Number(args[++i]);
      if (!Number.isInteger(v) || v < (a === '--warmup' ? 0 : 1)) fail('bad ' + a);
      opt[a.slice(2)] = v;
    } else if (a === '--shape' && i + 1 < args.length) {
      shape = args[++i].split('x').map(Number);
      if (shape.length !== 4 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
        fail('--shape takes NxCxHxW');
      }
    } else if (a === '--profile' && i + 1 < args.length) {
      profile = args[++i];
    } else if (a.startsWith('-') || model !== null) {
      fail("unexpected argument '" + a + "'");
    } else {
      model = a;
    }
  }
  if (model === null) fail('usage: ort_bench.js MODEL.onnx [options]');

  const sessionOptions = {
    executionProviders: ['cpu'],
    intraOpNumThreads: opt.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  };
  if (profile !== null) {
    sessionOptions.enableProfiling = true;
    sessionOptions.profileFilePrefix = profile;
  }
  const t0 = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(model, sessionOptions);
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;

  const n = shape.reduce((x, y) => x * y, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; ++i) data[i] = ((i % 255) - 127) / 128;
  const feeds = {[session.inputNames[0]]: new ort.Tensor('float32', data, shape)};

  const samples = [];
  let outSum = 0;
  for (let i = 0; i < opt.warmup + opt.iters; ++i) {
    const t = process.hrtime.bigint();
    const out = await session.run(feeds);
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (i >= opt.warmup) samples.push(ms);
    if (i + 1 === opt.warmup + opt.iters) {
      outSum = out[session.outputNames[0]].data.reduce((x, y) => x + y, 0);
    }
  }
  samples.sort((x, y) => x - y);
  const result = {
    model,
    runtime: 'onnxruntime-node ' + ort.env.versions.node,
    threads: opt.threads,
    warmup: opt.warmup,
    iters: opt.iters,
    load_ms: +loadMs.toFixed(3),
    latency_ms: {
      min: +samples[0].toFixed(3),
      median: +percentile(samples, 50).toFixed(3),
      p90: +percentile(samples, 90).toFixed(3),
      max: +samples[samples.length - 1].toFixed(3),
    },
    peak_rss_kb: process.resourceUsage().maxRSS,
    out_sum: +outSum.toPrecision(6),
  };
  if (profile !== null) {
    // endProfiling writes the file into the working directory under a generated name.
    const dir = path.dirname(path.resolve(profile));
    const before = new Set(fs.readdirSync(dir));
    session.endProfiling();
    const written = fs.readdirSync(dir).filter(
        (f) => !before.has(f) && f.startsWith(path.basename(profile)));
    const file = written.length ? path.join(dir, written[0]) :
        fs.readdirSync(dir).filter((f) => f.startsWith(path.basename(profile)))
            .map((f) => path.join(dir, f)).sort().pop();
    if (file) result.providers = providersFromProfile(file, opt.warmup + opt.iters);
  }
  await session.release();
  process.stdout.write(JSON.stringify(result) + os.EOL);
}

main().catch((e) => fail(e && e.message ? e.message : String(e)));

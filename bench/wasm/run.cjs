// Times one planning scenario in the wasm planner under Node:
//   node run.cjs PKG_DIR MANIFEST.json
// PKG_DIR holds the `wasm-pack --target nodejs` package (ferry_planner.js);
// the manifest (written by ferry-bench) lists the warm-up and timed input
// files, each timed one with the plan hash the native planner gave it.
// Prints one JSON object: wall and CPU times (ms; CPU of the whole Node
// process), wasm memory sizes (bytes), mismatches.
"use strict";
const fs = require("fs");
const path = require("path");
const { performance } = require("perf_hooks");

const [pkgDir, manifestPath] = process.argv.slice(2);
const manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8"));

// The package keeps its instance private: catch it as it is created to read
// the size of its linear memory (which only ever grows, so its size after a
// plan is the high-water mark so far).
let instance = null;
const Instance = WebAssembly.Instance;
WebAssembly.Instance = function (module, imports) {
  instance = new Instance(module, imports);
  return instance;
};
const pkg = require(path.resolve(pkgDir, "ferry_planner.js"));
WebAssembly.Instance = Instance;
const memory = () => instance.exports.memory.buffer.byteLength;

const memInitial = memory();
const planner = manifest.warm ? new pkg.Planner() : null;
const planJson = (text) => (planner ? planner.planJson(text) : pkg.planJson(text));

let memAfterFirst = null;
for (const file of manifest.warmup) {
  planJson(fs.readFileSync(file, "utf8"));
  if (memAfterFirst === null) memAfterFirst = memory();
}
const times = [];
const cpu = [];
let mismatches = 0;
for (const run of manifest.runs) {
  const text = fs.readFileSync(run.file, "utf8");
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = planJson(text);
  times.push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000);
  if (memAfterFirst === null) memAfterFirst = memory();
  if (JSON.parse(out).hash !== run.hash) mismatches++;
}
process.stdout.write(
  JSON.stringify({ times, cpu, memInitial, memAfterFirst, memEnd: memory(), mismatches }) + "\n",
);

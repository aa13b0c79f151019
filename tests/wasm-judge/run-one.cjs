// Runs one conformance archive through the WebAssembly judge:
//   node run-one.cjs JUDGE.wasm ARCHIVE NAME
// prints the judge's JSON report; a trap (panic, stack overflow) exits 1.
"use strict";
const fs = require("fs");
const [wasmPath, archivePath, name] = process.argv.slice(-3);
const wasmModule = new WebAssembly.Module(fs.readFileSync(wasmPath));
const { memory, alloc, judge } = new WebAssembly.Instance(wasmModule, {}).exports;
const input = Buffer.concat([Buffer.from(name + "\n"), fs.readFileSync(archivePath)]);
const ptr = alloc(input.length);
new Uint8Array(memory.buffer, ptr, input.length).set(input);
const r = judge(ptr, input.length);
const outPtr = Number(BigInt.asUintN(64, r) >> 32n);
const outLen = Number(BigInt.asUintN(64, r) & 0xffffffffn);
process.stdout.write(Buffer.from(new Uint8Array(memory.buffer, outPtr, outLen)).toString("utf8") + "\n");

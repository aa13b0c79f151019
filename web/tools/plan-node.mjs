// Plans a saved planner input with the wasm planner's Node package and
// prints the plan JSON. Exits 1 when the object API (`plan`) and the text
// API (`planJson`) disagree. Used by tests/tests/wasm_parity.rs.
//   node web/tools/plan-node.mjs target/wasm-node/pkg/ferry_planner.js input.json
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const [pkgPath, inputPath] = process.argv.slice(2);
const pkg = resolve(pkgPath);
let planner;
try {
  planner = createRequire(import.meta.url)(pkg);
} catch {
  planner = await import(pkg);
}
const text = readFileSync(inputPath, 'utf8');
const fromObject = JSON.stringify(planner.plan(JSON.parse(text)), null, 2) + '\n';
const fromText = planner.planJson(text);
if (fromObject !== fromText) {
  console.error('plan() and planJson() disagree');
  process.exit(1);
}
process.stdout.write(fromText);

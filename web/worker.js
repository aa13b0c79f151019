// Plans off the main thread: loads the wasm planner once, then turns each
// session it receives into a planner input and plans it.

import init, * as planner from './pkg/ferry_planner.js';
import { buildInput, sources } from './lib/session.js';

const started = performance.now();
const ready = init({ module_or_path: new URL('./pkg/ferry_planner_bg.wasm', import.meta.url) }).then(() => {
  postMessage({ type: 'ready', ms: performance.now() - started, version: planner.version() });
});

function errorDiagnostic(message) {
  return { severity: 'error', message: String(message?.message ?? message) };
}

async function planSession(session) {
  const t0 = performance.now();
  const { bundles, runtime } = sources(session);
  if (bundles.length === 0) {
    return { plan: null, diagnostics: [], moduleDirs: {}, missing: [], ms: 0, requirements: null };
  }
  // Which modules the plan needs (their references may depend on runtime values).
  const clusters = buildInput(session, null).input.clusters;
  const req = planner.requirements(bundles, runtime ?? null, session.options ?? {}, clusters);
  const { input, moduleDirs, missing } = buildInput(session, req.requirements);
  const t1 = performance.now();
  const plan = planner.plan(input);
  const t2 = performance.now();
  return { plan, requirements: req.requirements, moduleDirs, missing, input, ms: t2 - t1, totalMs: t2 - t0 };
}

self.onmessage = async (event) => {
  const { id, type, session, files, expr } = event.data;
  await ready;
  try {
    if (type === 'plan') postMessage({ id, type, ok: true, ...(await planSession(session)) });
    else if (type === 'eval') postMessage({ id, type, ok: true, result: planner.evalCue(files, expr) });
  } catch (err) {
    postMessage({ id, type, ok: false, diagnostics: [errorDiagnostic(err)] });
  }
};

// Type-checks the generated definitions of the web package (web/pkg) the
// way the page and editors use them. Run by scripts/build-web (`tsc`).
import init, { plan, planJson, requirements, vet, evalCue, version } from '../pkg/ferry_planner.js';
import type { PlannerInput, PlanOutput, Diagnostic, RequirementsResult, EvalResult, PlannedObject } from '../pkg/ferry_planner.js';

const input: PlannerInput = {
  inputVersion: 1,
  bundles: [{ name: 'examples/bundle.cue', text: 'bundle: {}', baseDir: 'examples' }],
  runtime: { name: 'examples/runtime.cue', text: 'runtime: {}' },
  modules: {
    'file://examples/modules/webapp': {
      url: 'file://./modules/webapp',
      version: '0.0.0-devel',
      files: { 'timoni.cue': 'package main', 'logo.png': { base64: 'iVBORw0K' } },
    },
  },
  clusters: { 'staging-1': { runtimeValues: { CLUSTER_REGION: 'eu-1', N: 3, ON: true }, kubeVersion: '1.30.2' } },
  options: { runtimeCluster: '*' },
};

export async function use(): Promise<string[]> {
  await init({ module_or_path: new URL('../pkg/ferry_planner_bg.wasm', import.meta.url) });
  const out: PlanOutput = plan(input);
  const text: string = planJson(JSON.stringify(input));
  const req: RequirementsResult = requirements(input.bundles, input.runtime, input.options, input.clusters);
  const one: RequirementsResult = requirements(input.bundles[0], null, undefined, undefined);
  const diags: Diagnostic[] = vet(input);
  const ev: EvalResult = evalCue({ 'a.cue': 'a: 1' }, 'a');
  const objects: PlannedObject[] = out.clusters.flatMap((c) => c.instances.flatMap((i) => i.steps.flatMap((s) => s.objects)));
  const names = objects.map((o) => `${o.object.kind}/${o.object.metadata.name} ${o.action ?? ''}`);
  const located = [...out.diagnostics, ...diags, ...req.diagnostics, ...one.diagnostics, ...ev.diagnostics]
    .map((d) => `${d.file ?? ''}:${d.line ?? 0}:${d.col ?? 0} ${d.severity}`);
  const keys = req.requirements?.modules.map((m) => m.key) ?? [];
  return [version(), text, ...names, ...located, ...keys];
}

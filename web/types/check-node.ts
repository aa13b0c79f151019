// Type-checks the generated definitions of the Node package
// (target/wasm-node/pkg), as an editor extension or script would use them.
import { plan, vet } from '../../target/wasm-node/pkg/ferry_planner.js';
import type { PlannerInput, PlanOutput } from '../../target/wasm-node/pkg/ferry_planner.js';

export function planFor(input: PlannerInput): { plan: PlanOutput; errors: number } {
  const out = plan(input);
  return { plan: out, errors: vet(input).filter((d) => d.severity === 'error').length };
}

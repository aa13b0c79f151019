// Types of the planner's documents (see planner/src/input.rs, plan.rs,
// diag.rs); checked against real documents by web/types/check.ts.

/** The input `ferry plan --save-input` writes. */
export interface PlannerInput {
  inputVersion: number;
  bundles: BundleSource[];
  runtime?: RuntimeSource;
  modules?: Record<string, ModuleFiles>;
  clusters?: Record<string, ClusterFacts>;
  options?: Options;
}
export interface BundleSource { name: string; text: string; baseDir?: string }
export interface RuntimeSource { name: string; text: string }
export interface ModuleFiles {
  url: string;
  version: string;
  digest?: string;
  files: Record<string, string | { base64: string }>;
}
export type RuntimeValue = string | number | boolean;
export interface ClusterFacts {
  runtimeValues?: Record<string, RuntimeValue>;
  secretValues?: string[];
  kubeVersion?: string;
  apiResources?: ApiResource[];
  live?: LiveSnapshot;
}
export interface ApiResource { group: string; version: string; kind: string; namespaced: boolean }
export interface LiveSnapshot { instances?: LiveInstance[]; objects?: KubeObject[] }
export interface LiveInstance {
  name: string;
  namespace: string;
  bundle?: string;
  moduleVersion?: string;
  inventory?: InventoryEntry[];
  pending?: InventoryEntry[];
}
export interface InventoryEntry { id: string; v: string }
export interface Options {
  runtimeCluster?: string;
  runtimeGroup?: string;
  defaultKubeVersion?: string;
  kubeContext?: string;
}

/** A Kubernetes object as JSON data. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

/** An error, warning or note, located as precisely as known. */
export interface Diagnostic {
  severity: 'error' | 'warning' | 'info';
  message: string;
  file?: string;
  line?: number;
  col?: number;
  cluster?: string;
  instance?: string;
  path?: string;
}

/** What `requirements()` returns. */
export interface RequirementsResult { requirements?: Requirements; diagnostics: Diagnostic[] }
export interface Requirements { bundle: string; clusters: ClusterRequirement[]; modules: ModuleRequirement[] }
export interface ClusterRequirement { name: string; group: string; kubeContext?: string; queries: RuntimeQuery[] }
export interface RuntimeQuery {
  query: string;
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  for: Record<string, string>;
  optional: boolean;
  secret: boolean;
}
export interface ModuleRequirement {
  key: string;
  url: string;
  version: string;
  digest?: string;
  path?: string;
  usedBy: string[];
}

/** The plan `ferry plan -o json` prints. */
export interface PlanOutput {
  planVersion: number;
  bundle?: string;
  masked: boolean;
  clusters: ClusterPlan[];
  diagnostics: Diagnostic[];
  hash: string;
}
export interface ClusterPlan {
  name: string;
  group: string;
  kubeContext?: string;
  kubeVersion: string;
  runtimeValues: Record<string, unknown>;
  ok: boolean;
  instances: InstancePlan[];
  removedInstances?: RemovedInstance[];
  hash: string;
}
export interface InstancePlan {
  name: string;
  namespace: string;
  module: { url: string; version: string; digest?: string; name?: string; key: string };
  ok: boolean;
  values: unknown;
  steps: ApplyStep[];
  inventory: InventoryEntry[];
  ownershipConflict?: string;
  deletes?: DeleteObject[];
  hash: string;
}
export interface ApplyStep { name: string; objects: PlannedObject[] }
export type Stage = 'crds' | 'cluster' | 'classes' | 'rbac' | 'resources';
export type Action = 'create' | 'update' | 'unchanged' | 'delete' | 'keep';
export interface PlannedObject {
  id: string;
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  stage: Stage;
  object: KubeObject;
  hash: string;
  action?: Action;
  diff?: Change[];
}
export interface Change { path: string; op: 'add' | 'replace' | 'remove'; from?: unknown; to?: unknown }
export interface DeleteObject {
  id: string;
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  action: Action;
  exists: boolean;
}
export interface RemovedInstance { name: string; namespace: string; deletes: DeleteObject[] }

/** What `evalCue()` returns. */
export interface EvalResult { value?: unknown; diagnostics: Diagnostic[] }

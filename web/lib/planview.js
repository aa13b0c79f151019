// Read-only views over the planner's plan document (`ferry plan -o json`),
// in the shapes the page's views need. The plan's schema is the planner's;
// every access to it goes through this file.

/** The clusters of a plan, in plan order. */
export function clusters(plan) {
  return plan?.clusters ?? [];
}

/** Instance names across all clusters, in first-seen order, with their namespaces. */
export function instances(plan) {
  const seen = new Map();
  for (const c of clusters(plan)) {
    for (const i of c.instances ?? []) if (!seen.has(i.name)) seen.set(i.name, i.namespace);
  }
  return [...seen].map(([name, namespace]) => ({ name, namespace }));
}

export function instanceOf(plan, cluster, instance) {
  return clusters(plan).find((c) => c.name === cluster)?.instances?.find((i) => i.name === instance) ?? null;
}

/** The planned objects of one instance on one cluster, in apply order, with their step and action. */
export function objects(inst) {
  const out = [];
  for (const step of inst?.steps ?? []) {
    for (const entry of step.objects ?? []) {
      out.push({ step: step.name, object: entry.object, key: objectKey(entry.object), action: entry.action ?? null, entry });
    }
  }
  // Inventory objects the plan no longer has (with a live snapshot).
  for (const entry of inst?.deletes ?? []) {
    const metadata = entry.namespace ? { name: entry.name, namespace: entry.namespace } : { name: entry.name };
    const object = { apiVersion: entry.apiVersion, kind: entry.kind, metadata };
    out.push({ step: 'prune', object, key: objectKey(object), action: entry.action, entry });
  }
  return out;
}

/** `Kind namespace/name` (or `Kind name` when cluster-scoped). */
export function objectKey(o) {
  const ns = o?.metadata?.namespace;
  return `${o?.kind ?? '?'} ${ns ? ns + '/' : ''}${o?.metadata?.name ?? '?'}`;
}

/** Action counts of one instance on one cluster ({} without a snapshot). */
export function actionCounts(inst) {
  const counts = {};
  for (const o of objects(inst)) if (o.action) counts[o.action] = (counts[o.action] ?? 0) + 1;
  return counts;
}

/** The plan's diagnostics. */
export function diagnostics(plan) {
  return plan?.diagnostics ?? [];
}

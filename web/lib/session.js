// The page's session: a small in-memory file system (bundle, runtime and
// module files by path) plus per-cluster facts, and its translation to and
// from the planner's input document (`ferry plan --save-input`).

/** @typedef {'bundle' | 'runtime' | 'module'} Role */

/**
 * @typedef {object} Session
 * @property {Record<string, string>} files path -> text
 * @property {Record<string, Role>} roles path -> role
 * @property {Record<string, string>} baseDirs bundle path -> base dir, when not the file's directory
 * @property {Record<string, Record<string, string | number | boolean>>} values cluster -> runtime values
 * @property {Record<string, object>} facts cluster -> other facts (kubeVersion, apiResources, live, secretValues)
 * @property {Record<string, object>} extraModules module key -> module files that are not in `files` (OCI)
 * @property {object} options planner options
 * @property {string | null} active the file shown in the editor
 * @property {string | null} snapshotName the loaded live snapshot's file name
 */

/** @returns {Session} */
export function emptySession() {
  return { files: {}, roles: {}, baseDirs: {}, values: {}, facts: {}, extraModules: {}, options: {}, active: null, snapshotName: null };
}

export function dirname(path) {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** Guesses what a file is from its path and text. */
export function classify(path, text) {
  const name = path.split('/').pop();
  if (/\.json$/i.test(name)) {
    try {
      const doc = JSON.parse(text);
      if (doc && typeof doc === 'object') {
        if ('inputVersion' in doc) return 'input';
        if ('planVersion' in doc) return 'snapshot';
        if ('bundle' in doc) return 'bundle';
        if ('runtime' in doc) return 'runtime';
      }
    } catch {
      // Not JSON after all: fall through to a text guess.
    }
  }
  if (!/\.(cue|ya?ml|json)$/i.test(name)) return 'module';
  if (/^bundle\s*:/m.test(text)) return 'bundle';
  if (/^runtime\s*:/m.test(text)) return 'runtime';
  return 'module';
}

/** Directories holding a module in Timoni's layout (a `timoni.cue` or `cue.mod/module.cue`). */
export function moduleRoots(session) {
  const roots = new Set();
  for (const path of Object.keys(session.files)) {
    const m = /^(?:(.*)\/)?(?:timoni\.cue|cue\.mod\/module\.cue)$/.exec(path);
    if (m) roots.add(m[1] ?? '');
  }
  return [...roots];
}

/**
 * The folder of `session` holding the module at `wanted` (the planner's
 * normalised module path): the folder itself when present, else the module
 * root whose trailing path segments match most of `wanted`'s, so a module
 * folder dropped on its own still resolves.
 */
export function resolveModuleDir(session, wanted) {
  const clean = wanted.replace(/^\.\//, '').replace(/\/+$/, '');
  const roots = moduleRoots(session);
  if (roots.includes(clean)) return clean;
  const want = clean.split('/').filter((s) => s && s !== '.');
  let best = null;
  let bestScore = 0;
  for (const root of roots) {
    const have = root.split('/').filter(Boolean);
    let score = 0;
    while (score < want.length && score < have.length && want[want.length - 1 - score] === have[have.length - 1 - score]) score++;
    if (score > bestScore || (score === bestScore && score > 0 && root.length < best.length)) {
      best = root;
      bestScore = score;
    }
  }
  return bestScore > 0 ? best : null;
}

function ordered(session, role) {
  return Object.keys(session.files).filter((p) => session.roles[p] === role);
}

/** The bundle sources and runtime source of the session, as the planner takes them. */
export function sources(session) {
  const bundles = ordered(session, 'bundle').map((name) => ({
    name,
    text: session.files[name],
    baseDir: session.baseDirs[name] ?? dirname(name),
  }));
  const runtimeName = ordered(session, 'runtime')[0];
  const runtime = runtimeName ? { name: runtimeName, text: session.files[runtimeName] } : undefined;
  return { bundles, runtime };
}

/**
 * Builds the planner input from the session and the planner's requirements
 * (what `requirements(bundles, runtime)` returned). Also returns where each
 * module key's files live in the session, to link diagnostics to files.
 */
export function buildInput(session, requirements) {
  const { bundles, runtime } = sources(session);
  const modules = {};
  /** @type {Record<string, string>} module key -> session folder */
  const moduleDirs = {};
  const missing = [];
  // Without requirements (the bundle does not evaluate on some cluster),
  // offer every module folder under the key the planner gives local modules.
  const wanted = requirements?.modules ?? moduleRoots(session).map((root) => ({ key: `file://${root}`, url: `file://${root}`, path: root }));
  for (const m of wanted) {
    if (session.extraModules[m.key]) {
      modules[m.key] = session.extraModules[m.key];
      continue;
    }
    if (!m.url.startsWith('file://')) {
      missing.push(m);
      continue;
    }
    const dir = resolveModuleDir(session, m.path ?? m.url.slice('file://'.length));
    if (dir === null) {
      missing.push(m);
      continue;
    }
    const prefix = dir === '' ? '' : dir + '/';
    const files = {};
    for (const [path, text] of Object.entries(session.files)) {
      if (path.startsWith(prefix) && session.roles[path] === 'module') files[path.slice(prefix.length)] = text;
    }
    modules[m.key] = { url: m.url, version: '0.0.0-devel', files };
    moduleDirs[m.key] = dir;
  }
  const clusters = {};
  for (const name of new Set([...Object.keys(session.facts), ...Object.keys(session.values)])) {
    clusters[name] = { ...(session.facts[name] ?? {}), runtimeValues: { ...(session.values[name] ?? {}) } };
  }
  const input = { inputVersion: 1, bundles, modules, clusters, options: { ...session.options } };
  if (runtime) input.runtime = runtime;
  return { input, moduleDirs, missing };
}

/** A session holding everything a saved planner input holds. */
export function sessionFromInput(input) {
  const s = emptySession();
  for (const b of input.bundles ?? []) {
    s.files[b.name] = b.text;
    s.roles[b.name] = 'bundle';
    if ((b.baseDir ?? '') !== dirname(b.name)) s.baseDirs[b.name] = b.baseDir ?? '';
  }
  if (input.runtime) {
    s.files[input.runtime.name] = input.runtime.text;
    s.roles[input.runtime.name] = 'runtime';
  }
  for (const [key, mod] of Object.entries(input.modules ?? {})) {
    const textual = Object.values(mod.files ?? {}).every((f) => typeof f === 'string');
    if (key.startsWith('file://') && textual) {
      const dir = key.slice('file://'.length).replace(/\/+$/, '');
      for (const [rel, text] of Object.entries(mod.files)) {
        const path = dir ? `${dir}/${rel}` : rel;
        s.files[path] = text;
        s.roles[path] = 'module';
      }
    } else {
      s.extraModules[key] = mod;
    }
  }
  for (const [name, facts] of Object.entries(input.clusters ?? {})) {
    const { runtimeValues, ...rest } = facts;
    s.values[name] = { ...(runtimeValues ?? {}) };
    s.facts[name] = rest;
  }
  s.options = { ...(input.options ?? {}) };
  s.active = (input.bundles ?? [])[0]?.name ?? null;
  return s;
}

/** Adds files to the session, classifying each; returns saved inputs and snapshots found among them. */
export function addFiles(session, files) {
  const special = { inputs: [], snapshots: [] };
  for (const { path, text } of files) {
    const role = classify(path, text);
    if (role === 'input') special.inputs.push({ path, doc: JSON.parse(text) });
    else if (role === 'snapshot') special.snapshots.push({ path, doc: JSON.parse(text) });
    else {
      session.files[path] = text;
      session.roles[path] = role;
    }
  }
  return special;
}

/**
 * Maps a diagnostic's `file` (a source name, or `<module key>/<path>`) to a
 * path in the session, or null.
 */
export function diagnosticPath(session, moduleDirs, file) {
  if (!file) return null;
  if (file in session.files) return file;
  let best = null;
  for (const [key, dir] of Object.entries(moduleDirs)) {
    if (file.startsWith(key + '/') && (!best || key.length > best.key.length)) best = { key, dir };
  }
  if (!best) return null;
  const rel = file.slice(best.key.length + 1);
  const path = best.dir ? `${best.dir}/${rel}` : rel;
  return path in session.files ? path : null;
}

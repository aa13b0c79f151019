// ferry preview: the page's controller. Holds the session, sends it to the
// planning worker on every change and renders the plan it gets back.

import { toYaml } from './lib/yaml.js';
import { diffLines } from './lib/diff.js';
import { loadSession, saveSession, clearSession } from './lib/store.js';
import { readDrop, readPicked } from './lib/files.js';
import { emptySession, addFiles, sessionFromInput, diagnosticPath, dirname } from './lib/session.js';
import * as view from './lib/planview.js';

const $ = (id) => document.getElementById(id);

const state = {
  session: emptySession(),
  /** The last planning result from the worker. */
  result: null,
  objects: { cluster: null, instance: null, key: null },
  diff: { key: null, a: null, b: null },
  tab: 'matrix',
  loadedAt: performance.now(),
  plannedOnce: false,
};

// ---------------------------------------------------------------- worker

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
let nextId = 0;
let latestId = -1;
let planTimer = 0;

worker.onmessage = (event) => {
  const msg = event.data;
  if (msg.type === 'ready') {
    document.body.dataset.plannerReady = 'true';
    setStatus(`Planner ${msg.version} loaded in ${msg.ms.toFixed(0)} ms`, 'ok');
    return;
  }
  if (msg.type === 'plan' && msg.id === latestId) showResult(msg);
};
worker.onerror = (event) => setStatus(`Planner failed to load: ${event.message ?? 'see the console'}`, 'err');

/** Re-plans soon (edits come in bursts). */
function schedulePlan(delay = 200) {
  clearTimeout(planTimer);
  planTimer = setTimeout(() => {
    latestId = nextId++;
    document.body.dataset.planning = 'true';
    worker.postMessage({ id: latestId, type: 'plan', session: state.session });
  }, delay);
  scheduleSave();
}

let saveTimer = 0;
function scheduleSave() {
  clearTimeout(saveTimer);
  saveTimer = setTimeout(() => saveSession(state.session), 500);
}

function setStatus(text, kind = '') {
  const el = $('status');
  el.textContent = text;
  el.className = `status ${kind}`;
}

function showResult(msg) {
  delete document.body.dataset.planning;
  state.result = msg;
  if (!msg.ok) {
    setStatus('Planning failed', 'err');
  } else if (msg.plan) {
    const errors = view.diagnostics(msg.plan).filter((d) => d.severity === 'error').length;
    const n = view.clusters(msg.plan).length;
    const first = state.plannedOnce ? '' : ` · ${(performance.now() - state.loadedAt).toFixed(0)} ms after load`;
    state.plannedOnce = true;
    setStatus(`Planned ${n} cluster${n === 1 ? '' : 's'} in ${msg.ms.toFixed(1)} ms${first}${errors ? ` · ${errors} error${errors === 1 ? '' : 's'}` : ''}`, errors ? 'err' : 'ok');
  } else {
    setStatus('Add a bundle to plan', '');
  }
  document.body.dataset.planned = String(nextId);
  renderAll();
}

// ---------------------------------------------------------------- rendering helpers

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

function fillSelect(select, options, value) {
  select.replaceChildren(...options.map((o) => h('option', { value: o.value, selected: o.value === value }, o.label)));
  if (!options.some((o) => o.value === value) && options.length) select.value = options[0].value;
  return select.value;
}

function diagnostics() {
  const r = state.result;
  if (!r) return [];
  if (!r.ok) return r.diagnostics ?? [];
  const missing = (r.missing ?? []).map((m) => ({
    severity: 'error',
    message: `module ${m.url} is not loaded: drop its folder${m.path ? ` (${m.path})` : ''} on the page`,
    instance: (m.usedBy ?? []).join(', ') || undefined,
  }));
  return [...missing, ...view.diagnostics(r.plan)];
}

function renderAll() {
  renderTree();
  renderGutter();
  renderMatrix();
  renderObjects();
  renderDiff();
  renderDiagnostics();
  renderRuntime();
}

// ---------------------------------------------------------------- files and editor

const roleTag = { bundle: 'bundle', runtime: 'runtime' };
/** Folders the user opened or closed; `cue.mod` folders start closed. */
const folderOpen = new Map();

function isOpen(dir) {
  if (!folderOpen.has(dir)) folderOpen.set(dir, !/(^|\/)cue\.mod$/.test(dir));
  return folderOpen.get(dir);
}

function renderTree() {
  const s = state.session;
  const paths = Object.keys(s.files);
  // Bundles and runtimes first, then every other file in a folder tree.
  const top = paths.filter((p) => s.roles[p] !== 'module').sort((a, b) => (s.roles[a] === s.roles[b] ? a.localeCompare(b) : s.roles[a] === 'bundle' ? -1 : 1));
  const items = top.map((path) =>
    h('li', { class: path === s.active ? 'active' : '', title: path, dataset: { path }, onclick: () => openFile(path) },
      path.split('/').pop(), h('span', { class: 'tag' }, roleTag[s.roles[path]])));
  const rest = paths.filter((p) => s.roles[p] === 'module').sort((a, b) => {
    // Files before subfolders at each level, like a file manager.
    const da = dirname(a);
    const db = dirname(b);
    return da === db ? a.localeCompare(b) : da.localeCompare(db);
  });
  const shown = new Set();
  for (const path of rest) {
    const parts = path.split('/');
    let hidden = false;
    for (let depth = 1; depth < parts.length; depth++) {
      const dir = parts.slice(0, depth).join('/');
      if (!shown.has(dir) && !hidden) {
        shown.add(dir);
        const open = isOpen(dir);
        items.push(h('li', { class: 'dir', style: `padding-left: ${12 + (depth - 1) * 12}px`, title: dir, dataset: { dir },
          onclick: () => { folderOpen.set(dir, !open); renderTree(); } },
          h('span', { class: 'caret' }, open ? '▾' : '▸'), parts[depth - 1] + '/'));
      }
      if (!isOpen(dir)) hidden = true;
    }
    if (hidden) continue;
    items.push(h('li', { class: path === s.active ? 'active' : '', style: `padding-left: ${12 + (parts.length - 1) * 12}px`, title: path, dataset: { path }, onclick: () => openFile(path) },
      parts.at(-1)));
  }
  for (const key of Object.keys(s.extraModules)) items.push(h('li', { class: 'dir', title: key }, `${key} (from input)`));
  $('file-tree').replaceChildren(...items);
  $('files-hint').hidden = paths.length > 0;
}

function openFile(path, line, col) {
  const s = state.session;
  if (!(path in s.files)) return;
  s.active = path;
  const src = $('source');
  src.disabled = false;
  src.value = s.files[path] ?? '';
  $('editor-path').textContent = path;
  $('role-switch').hidden = false;
  $('delete-file').hidden = false;
  for (const r of document.querySelectorAll('input[name=role]')) r.checked = r.value === s.roles[path];
  renderTree();
  renderGutter();
  if (line) jumpTo(line, col ?? 1);
  scheduleSave();
}

function jumpTo(line, col) {
  const src = $('source');
  const lines = src.value.split('\n');
  let offset = 0;
  for (let i = 0; i < Math.min(line - 1, lines.length); i++) offset += lines[i].length + 1;
  offset += Math.max(0, Math.min(col - 1, (lines[line - 1] ?? '').length));
  src.focus();
  src.setSelectionRange(offset, Math.min(offset + 1, src.value.length));
  const lineHeight = 18;
  src.scrollTop = Math.max(0, (line - 1) * lineHeight - src.clientHeight / 3);
  $('gutter').scrollTop = src.scrollTop;
}

function renderGutter() {
  const s = state.session;
  const text = s.active ? s.files[s.active] ?? '' : '';
  const count = text.split('\n').length;
  const bad = new Set();
  for (const d of diagnostics()) {
    if (d.line && diagnosticPath(s, state.result?.moduleDirs ?? {}, d.file) === s.active) bad.add(d.line);
  }
  const gutter = $('gutter');
  const parts = [];
  for (let i = 1; i <= count; i++) parts.push(bad.has(i) ? h('span', { class: 'bad' }, `${i}\n`) : `${i}\n`);
  gutter.replaceChildren(...parts);
  gutter.scrollTop = $('source').scrollTop;
}

$('source').addEventListener('input', () => {
  const s = state.session;
  if (!s.active) return;
  s.files[s.active] = $('source').value;
  renderGutter();
  schedulePlan(300);
});
$('source').addEventListener('scroll', () => {
  $('gutter').scrollTop = $('source').scrollTop;
});
$('source').addEventListener('keydown', (e) => {
  if (e.key !== 'Tab' || e.shiftKey) return;
  e.preventDefault();
  document.execCommand('insertText', false, '\t');
});
for (const radio of document.querySelectorAll('input[name=role]')) {
  radio.addEventListener('change', () => {
    const s = state.session;
    if (s.active && radio.checked) {
      s.roles[s.active] = radio.value;
      renderTree();
      schedulePlan(0);
    }
  });
}
$('delete-file').addEventListener('click', () => {
  const s = state.session;
  if (!s.active) return;
  delete s.files[s.active];
  delete s.roles[s.active];
  delete s.baseDirs[s.active];
  s.active = null;
  $('source').value = '';
  $('source').disabled = true;
  $('editor-path').textContent = 'No file open';
  $('role-switch').hidden = true;
  $('delete-file').hidden = true;
  renderTree();
  schedulePlan(0);
});
$('new-file').addEventListener('click', () => {
  const s = state.session;
  let n = 1;
  while (`pasted-${n}.cue` in s.files) n++;
  const path = `pasted-${n}.cue`;
  s.files[path] = '';
  s.roles[path] = Object.values(s.roles).includes('bundle') ? 'module' : 'bundle';
  openFile(path);
  $('source').focus();
});

// ---------------------------------------------------------------- loading inputs

function adopt(session) {
  state.session = session;
  state.objects = { cluster: null, instance: null, key: null };
  state.diff = { key: null, a: null, b: null };
  if (session.active && session.active in session.files) openFile(session.active);
  else {
    const first = Object.keys(session.files).find((p) => session.roles[p] === 'bundle');
    if (first) openFile(first);
  }
  renderTree();
  schedulePlan(0);
}

function loadSnapshot(doc, name) {
  // A snapshot carries each cluster's live state: a saved input (`clusters.<name>.live`)
  // or a plan that recorded it (`clusters[].live`).
  const s = state.session;
  const entries = Array.isArray(doc.clusters) ? doc.clusters.map((c) => [c.name, c]) : Object.entries(doc.clusters ?? {});
  let found = 0;
  for (const [cluster, facts] of entries) {
    if (!facts?.live) continue;
    s.facts[cluster] = { ...(s.facts[cluster] ?? {}), live: facts.live };
    if (facts.kubeVersion) s.facts[cluster].kubeVersion = facts.kubeVersion;
    found++;
  }
  if (!found) {
    setStatus(`${name}: no live state found in it`, 'err');
    return;
  }
  s.snapshotName = name;
  schedulePlan(0);
}

function takeFiles(files) {
  if (!files.length) return;
  const s = state.session;
  const special = addFiles(s, files);
  if (special.inputs.length) {
    adopt(sessionFromInput(special.inputs[0].doc));
    return;
  }
  for (const snap of special.snapshots) loadSnapshot(snap.doc, snap.path);
  if (!s.active || !(s.active in s.files)) {
    const first = Object.keys(s.files).find((p) => s.roles[p] === 'bundle') ?? files[0].path;
    if (first in s.files) openFile(first);
  }
  renderTree();
  schedulePlan(0);
}

$('open-input').addEventListener('change', async (e) => {
  const [file] = e.target.files;
  e.target.value = '';
  if (!file) return;
  try {
    adopt(sessionFromInput(JSON.parse(await file.text())));
  } catch (err) {
    setStatus(`${file.name}: not a planner input (${err.message})`, 'err');
  }
});
$('add-files').addEventListener('change', async (e) => {
  takeFiles(await readPicked(e.target.files));
  e.target.value = '';
});
$('add-folder').addEventListener('change', async (e) => {
  takeFiles(await readPicked(e.target.files));
  e.target.value = '';
});
$('open-snapshot').addEventListener('change', async (e) => {
  const [file] = e.target.files;
  e.target.value = '';
  if (!file) return;
  try {
    loadSnapshot(JSON.parse(await file.text()), file.name);
  } catch (err) {
    setStatus(`${file.name}: ${err.message}`, 'err');
  }
});
$('open-values').addEventListener('change', async (e) => {
  const [file] = e.target.files;
  e.target.value = '';
  if (!file) return;
  try {
    const doc = JSON.parse(await file.text());
    for (const [cluster, values] of Object.entries(doc)) {
      state.session.values[cluster] = { ...(state.session.values[cluster] ?? {}), ...values };
    }
    schedulePlan(0);
  } catch (err) {
    setStatus(`${file.name}: ${err.message}`, 'err');
  }
});
$('export-input').addEventListener('click', () => {
  const input = state.result?.input;
  if (!input) return setStatus('Nothing to export yet', 'err');
  const blob = new Blob([JSON.stringify(input, null, 2) + '\n'], { type: 'application/json' });
  const a = h('a', { href: URL.createObjectURL(blob), download: 'planner-input.json' });
  a.click();
  URL.revokeObjectURL(a.href);
});
$('reset').addEventListener('click', async () => {
  await clearSession();
  $('source').value = '';
  $('source').disabled = true;
  $('editor-path').textContent = 'No file open';
  $('role-switch').hidden = true;
  $('delete-file').hidden = true;
  adopt(emptySession());
});

let dragDepth = 0;
window.addEventListener('dragenter', (e) => {
  e.preventDefault();
  dragDepth++;
  $('dropzone').hidden = false;
});
window.addEventListener('dragleave', () => {
  if (--dragDepth <= 0) $('dropzone').hidden = true;
});
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', async (e) => {
  e.preventDefault();
  dragDepth = 0;
  $('dropzone').hidden = true;
  takeFiles(await readDrop(e.dataTransfer));
});

// ---------------------------------------------------------------- tabs

function selectTab(name) {
  state.tab = name;
  for (const t of document.querySelectorAll('.tab')) t.setAttribute('aria-selected', String(t.dataset.tab === name));
  for (const p of document.querySelectorAll('.tab-panel')) p.hidden = p.id !== `tab-${name}`;
}
for (const t of document.querySelectorAll('.tab')) t.addEventListener('click', () => selectTab(t.dataset.tab));

// ---------------------------------------------------------------- matrix

const ACTIONS = [
  ['create', '+'],
  ['update', '~'],
  ['delete', '−'],
  ['unchanged', '='],
];

function renderMatrix() {
  const plan = state.result?.plan;
  const clusters = view.clusters(plan);
  const instances = view.instances(plan);
  const diags = diagnostics();
  if (!clusters.length) {
    $('matrix').replaceChildren(plan ? h('p', { class: 'empty' }, 'The plan has no clusters; see the diagnostics.') : welcome());
    $('matrix-legend').textContent = '';
    return;
  }
  const head = h('tr', {}, h('th', {}, 'Instance'),
    clusters.map((c) => h('th', { dataset: { cluster: c.name } }, c.name, h('span', { class: 'group' }, c.group ?? ''))));
  const rows = instances.map((i) =>
    h('tr', { dataset: { instance: i.name } },
      h('th', {}, i.name, h('span', { class: 'ns' }, i.namespace ?? '')),
      clusters.map((c) => {
        const inst = view.instanceOf(plan, c.name, i.name);
        const failed = (inst && inst.ok === false) || diags.some((d) => d.severity === 'error' && d.cluster === c.name && d.instance === i.name);
        const objs = view.objects(inst).filter((o) => o.step !== 'prune');
        const counts = view.actionCounts(inst);
        const acts = ACTIONS.filter(([a]) => counts[a]).map(([a, sign]) => h('span', { class: `act-${a}` }, `${sign}${counts[a]} `));
        return h('td', {
          class: `cell${failed || (!inst && c.ok === false) ? ' error' : ''}`,
          dataset: { cluster: c.name, instance: i.name, count: String(objs.length) },
          title: `${i.name} on ${c.name}`,
          onclick: () => {
            state.objects = { cluster: c.name, instance: i.name, key: null };
            renderObjects();
            selectTab('objects');
          },
        },
        failed || (!inst && c.ok === false)
          ? h('span', { class: 'count', title: 'See the diagnostics' }, '✕')
          : h('span', { class: 'count' }, inst ? String(objs.length) : '–'),
        acts.length ? h('span', { class: 'acts' }, acts) : null);
      })));
  $('matrix').replaceChildren(h('table', { class: 'matrix', id: 'matrix-table' }, h('thead', {}, head), h('tbody', {}, rows)));
  const snapshot = state.session.snapshotName;
  $('matrix-legend').textContent = snapshot
    ? `Objects per instance and cluster; actions against ${snapshot}: + create, ~ update, − delete, = unchanged.`
    : 'Objects per instance and cluster. Load a snapshot to see actions. Click a cell to see its objects.';
}

function welcome() {
  return h('div', { class: 'welcome' },
    h('h2', {}, 'Preview a bundle on every cluster'),
    h('ol', {},
      h('li', {}, 'Drop a folder holding your bundle, runtime and modules on this page, or use ', h('b', {}, 'Add folder'), '.'),
      h('li', {}, 'Or open the input saved by ', h('code', {}, 'ferry plan --save-input'), ' with ', h('b', {}, 'Open input'), '.'),
      h('li', {}, 'Edit any file: the plan follows as you type. Set per-cluster values under ', h('b', {}, 'Runtime values'), '.')),
    h('p', { class: 'hint' }, 'Everything runs in this tab: the planner is WebAssembly, no file leaves your machine, and the page works offline once loaded.'));
}

// ---------------------------------------------------------------- objects

function renderObjects() {
  const plan = state.result?.plan;
  const clusters = view.clusters(plan);
  const sel = state.objects;
  sel.cluster = fillSelect($('obj-cluster'), clusters.map((c) => ({ value: c.name, label: c.name })), sel.cluster);
  const cluster = clusters.find((c) => c.name === sel.cluster);
  sel.instance = fillSelect($('obj-instance'), (cluster?.instances ?? []).map((i) => ({ value: i.name, label: `${i.name} (${i.namespace})` })), sel.instance);
  const objs = view.objects(view.instanceOf(plan, sel.cluster, sel.instance));
  if (!objs.some((o) => o.key === sel.key)) sel.key = objs[0]?.key ?? null;
  $('obj-list').replaceChildren(...objs.map((o) =>
    h('li', { class: o.key === sel.key ? 'active' : '', dataset: { key: o.key }, onclick: () => { sel.key = o.key; renderObjects(); } },
      h('span', { class: 'step' }, o.action ? `${o.step} · ${o.action}` : o.step),
      h('span', { class: 'kind' }, o.object.kind),
      h('span', { class: 'meta' }, `${o.object.metadata?.namespace ? o.object.metadata.namespace + '/' : ''}${o.object.metadata?.name}`))));
  const current = objs.find((o) => o.key === sel.key);
  $('obj-yaml').textContent = current ? toYaml(current.object) : 'No objects.';
}
$('obj-cluster').addEventListener('change', (e) => { state.objects.cluster = e.target.value; renderObjects(); });
$('obj-instance').addEventListener('change', (e) => { state.objects.instance = e.target.value; state.objects.key = null; renderObjects(); });

// ---------------------------------------------------------------- diff

function renderDiff() {
  const plan = state.result?.plan;
  const clusters = view.clusters(plan);
  const d = state.diff;
  const keys = [];
  for (const i of view.instances(plan)) {
    const seen = new Set();
    for (const c of clusters) {
      for (const o of view.objects(view.instanceOf(plan, c.name, i.name))) {
        if (!seen.has(o.key)) {
          seen.add(o.key);
          keys.push({ value: `${i.name}\u0000${o.key}`, label: `${i.name} · ${o.key}` });
        }
      }
    }
  }
  d.key = fillSelect($('diff-object'), keys, d.key);
  const names = clusters.map((c) => ({ value: c.name, label: c.name }));
  d.a = fillSelect($('diff-a'), names, d.a);
  d.b = fillSelect($('diff-b'), names, d.b ?? names[1]?.value);
  if (!d.key) {
    $('diff-view').textContent = 'No objects to compare.';
    return;
  }
  const [instance, key] = d.key.split('\u0000');
  const yamlOn = (cluster) => {
    const o = view.objects(view.instanceOf(plan, cluster, instance)).find((x) => x.key === key);
    return o ? toYaml(o.object) : '';
  };
  const lines = diffLines(yamlOn(d.a), yamlOn(d.b));
  const changed = lines.some((l) => l.op !== ' ');
  $('diff-view').replaceChildren(
    h('span', { class: 'same' }, changed ? `--- ${d.a}\n+++ ${d.b}` : `identical on ${d.a} and ${d.b}`),
    ...lines.map((l) => h('span', { class: l.op === '+' ? 'add' : l.op === '-' ? 'del' : 'same' }, `${l.op} ${l.line}`)),
  );
}
for (const [id, field] of [['diff-object', 'key'], ['diff-a', 'a'], ['diff-b', 'b']]) {
  $(id).addEventListener('change', (e) => { state.diff[field] = e.target.value; renderDiff(); });
}

// ---------------------------------------------------------------- diagnostics

function locText(d) {
  if (!d.file) return '';
  return d.line ? `${d.file}:${d.line}:${d.col ?? 1}` : d.file;
}

function renderDiagnostics() {
  const diags = diagnostics();
  const errors = diags.filter((d) => d.severity === 'error').length;
  const badge = $('diag-count');
  badge.textContent = String(diags.length);
  badge.className = `badge${errors ? ' err' : diags.length ? ' warn' : ''}`;
  const moduleDirs = state.result?.moduleDirs ?? {};
  $('diag-body').replaceChildren(...diags.map((d) => {
    const path = diagnosticPath(state.session, moduleDirs, d.file);
    const loc = locText(d);
    const link = loc && path
      ? h('a', { class: 'loc', href: '#', onclick: (e) => { e.preventDefault(); openFile(path, d.line, d.col); } }, loc)
      : h('span', { class: 'loc' }, loc);
    return h('tr', {},
      h('td', { class: `sev ${d.severity}` }, d.severity),
      h('td', {}, link),
      h('td', { class: 'where' }, [d.cluster, d.instance].filter(Boolean).join(' / ')),
      h('td', { class: 'msg' }, d.message + (d.path ? ` (at ${d.path})` : '')));
  }));
  if (!diags.length) $('diag-body').replaceChildren(h('tr', {}, h('td', { colspan: 4, class: 'empty' }, 'No diagnostics.')));
}

// ---------------------------------------------------------------- runtime values

function renderRuntime() {
  const s = state.session;
  const plan = state.result?.plan;
  const req = state.result?.requirements;
  const clusters = req?.clusters ?? view.clusters(plan).map((c) => ({ name: c.name, group: c.group, queries: [] }));
  const form = $('runtime-form');
  if (form.contains(document.activeElement)) return; // do not rebuild under the user's cursor
  form.replaceChildren(...clusters.map((c) => {
    const values = (s.values[c.name] ??= {});
    const names = new Set(Object.keys(values));
    for (const q of c.queries ?? []) for (const n of Object.keys(q.for ?? {})) names.add(n);
    const row = (name) => {
      const nameInput = h('input', { value: name, placeholder: 'NAME', 'aria-label': 'name' });
      const valueInput = h('input', { value: values[name] ?? '', placeholder: 'value', 'aria-label': `${c.name} ${name}` });
      const commit = () => {
        const newName = nameInput.value.trim();
        if (newName !== name) delete values[name];
        if (newName) values[newName] = valueInput.value;
        name = newName;
        schedulePlan(300);
      };
      nameInput.addEventListener('change', commit);
      valueInput.addEventListener('input', commit);
      return h('div', { class: 'row' }, nameInput, valueInput,
        h('button', { class: 'icon-btn', type: 'button', title: 'Remove', onclick: (e) => { delete values[name]; e.target.closest('.row').remove(); schedulePlan(0); } }, '✕'));
    };
    const fs = h('fieldset', { dataset: { cluster: c.name } },
      h('legend', {}, c.name, h('span', { class: 'group' }, c.group ?? '')),
      [...names].map(row));
    fs.append(h('button', { class: 'btn', type: 'button', onclick: (e) => e.target.before(row('')) }, 'Add value'));
    return fs;
  }));
  if (!clusters.length) form.replaceChildren(h('p', { class: 'empty' }, 'Load a bundle and a runtime to set values per cluster.'));
}

// ---------------------------------------------------------------- start

async function start() {
  selectTab('matrix');
  const params = new URLSearchParams(location.search);
  // `ferry preview -f ...` serves the bundle it was given as preload.json.
  let preload = null;
  if (!params.has('fresh')) {
    try {
      const res = await fetch('preload.json', { cache: 'no-store' });
      if (res.ok) preload = await res.json();
    } catch {
      // No preview server: a plain static page.
    }
  }
  if (preload) adopt(sessionFromInput(preload));
  else {
    const saved = params.has('fresh') ? undefined : await loadSession();
    adopt(saved ? { ...emptySession(), ...saved } : emptySession());
  }
  if ('serviceWorker' in navigator && !params.has('nosw')) {
    navigator.serviceWorker.register('sw.js').catch(() => {});
  }
}

// Tests and the console can reach the page's state.
window.ferryPreview = { state, takeFiles, openFile, selectTab, schedulePlan };
start();

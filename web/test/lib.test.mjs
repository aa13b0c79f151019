// Unit tests of the page's pure modules: `node --test web/test/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toYaml } from '../lib/yaml.js';
import { diffLines } from '../lib/diff.js';
import * as s from '../lib/session.js';

test('toYaml quotes what YAML would misread and keeps block text', () => {
  const yaml = toYaml({
    metadata: { name: 'web', labels: { 'app.kubernetes.io/name': 'web' } },
    data: { n: '1', t: 'true', e: '', colon: 'a: b', text: 'l1\nl2\n', dash: '-v', neg: '-1' },
    spec: { ports: [{ port: 80, name: 'http' }], empty: [], none: {}, off: null },
  });
  assert.equal(
    yaml,
    [
      'metadata:',
      '  name: web',
      '  labels:',
      '    app.kubernetes.io/name: web',
      'data:',
      '  "n": "1"',
      '  t: "true"',
      '  e: ""',
      '  colon: "a: b"',
      '  text: |',
      '    l1',
      '    l2',
      '  dash: -v',
      '  neg: "-1"',
      'spec:',
      '  ports:',
      '    - port: 80',
      '      name: http',
      '  empty: []',
      '  none: {}',
      '  "off": null',
      '',
    ].join('\n'),
  );
});

test('diffLines marks removed and added lines', () => {
  const d = diffLines('a\nb\nc\n', 'a\nc\nd\n').map((x) => x.op + x.line);
  assert.deepEqual(d, [' a', '-b', ' c', '+d']);
  assert.deepEqual(diffLines('x\n', 'x\n').map((x) => x.op), [' ']);
});

function example() {
  const session = s.emptySession();
  s.addFiles(session, [
    { path: 'examples/bundle.cue', text: 'bundle: {\n  name: "shop"\n}\n' },
    { path: 'examples/runtime.cue', text: 'runtime: {}\n' },
    { path: 'examples/modules/webapp/timoni.cue', text: 'package main\n' },
    { path: 'examples/modules/webapp/templates/x.cue', text: 'package templates\n' },
    { path: 'cache/timoni.cue', text: 'package main\n' },
    { path: 'cache/values.cue', text: 'values: {}\n' },
  ]);
  return session;
}

test('files are classified by content', () => {
  const session = example();
  assert.equal(session.roles['examples/bundle.cue'], 'bundle');
  assert.equal(session.roles['examples/runtime.cue'], 'runtime');
  assert.equal(session.roles['cache/values.cue'], 'module');
  const special = s.addFiles(session, [
    { path: 'in.json', text: '{"inputVersion": 1, "bundles": []}' },
    { path: 'plan.json', text: '{"planVersion": 1}' },
  ]);
  assert.equal(special.inputs.length, 1);
  assert.equal(special.snapshots.length, 1);
});

test('modules resolve to their folder, or to a folder dropped on its own', () => {
  const session = example();
  assert.equal(s.resolveModuleDir(session, 'examples/modules/webapp'), 'examples/modules/webapp');
  assert.equal(s.resolveModuleDir(session, 'examples/modules/cache'), 'cache');
  assert.equal(s.resolveModuleDir(session, 'examples/modules/nope'), null);
});

test('buildInput assembles the planner input and links module diagnostics back', () => {
  const session = example();
  session.values['staging-1'] = { CLUSTER_REGION: 'eu' };
  const req = {
    modules: [
      { key: 'file://examples/modules/webapp', url: 'file://./modules/webapp', path: 'examples/modules/webapp', usedBy: [] },
      { key: 'file://examples/modules/cache', url: 'file://./modules/cache', path: 'examples/modules/cache', usedBy: [] },
      { key: 'oci://ghcr.io/x:1.0', url: 'oci://ghcr.io/x', version: '1.0', usedBy: ['a/x'] },
    ],
  };
  const { input, moduleDirs, missing } = s.buildInput(session, req);
  assert.deepEqual(input.bundles, [{ name: 'examples/bundle.cue', text: session.files['examples/bundle.cue'], baseDir: 'examples' }]);
  assert.equal(input.runtime.name, 'examples/runtime.cue');
  assert.deepEqual(Object.keys(input.modules['file://examples/modules/webapp'].files), ['timoni.cue', 'templates/x.cue']);
  assert.deepEqual(Object.keys(input.modules['file://examples/modules/cache'].files), ['timoni.cue', 'values.cue']);
  assert.deepEqual(input.clusters, { 'staging-1': { runtimeValues: { CLUSTER_REGION: 'eu' } } });
  assert.deepEqual(missing.map((m) => m.key), ['oci://ghcr.io/x:1.0']);
  assert.equal(s.diagnosticPath(session, moduleDirs, 'file://examples/modules/cache/values.cue'), 'cache/values.cue');
  assert.equal(s.diagnosticPath(session, moduleDirs, 'examples/bundle.cue'), 'examples/bundle.cue');
  assert.equal(s.diagnosticPath(session, moduleDirs, 'elsewhere.cue'), null);
});

test('a saved input round-trips through a session', () => {
  const input = {
    inputVersion: 1,
    bundles: [{ name: '<stdin>', text: 'bundle: {}', baseDir: 'deploy' }],
    modules: {
      'file://deploy/modules/app': { url: 'file://./modules/app', version: '0.0.0-devel', files: { 'timoni.cue': 'package main' } },
      'oci://ghcr.io/x:1.0': { url: 'oci://ghcr.io/x', version: '1.0', digest: 'sha256:00', files: { 'timoni.cue': 'package main' } },
    },
    clusters: { c1: { runtimeValues: { A: 1 }, kubeVersion: '1.30.0' } },
    options: { runtimeCluster: 'c1' },
  };
  const session = s.sessionFromInput(input);
  const req = {
    modules: [
      { key: 'file://deploy/modules/app', url: 'file://./modules/app', path: 'deploy/modules/app' },
      { key: 'oci://ghcr.io/x:1.0', url: 'oci://ghcr.io/x' },
    ],
  };
  const { input: again } = s.buildInput(session, req);
  assert.deepEqual(again, input);
});

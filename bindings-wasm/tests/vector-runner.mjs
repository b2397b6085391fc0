// Runs every file of tests/vectors/cases against a loaded `wxpay-terminate` module, with one
// crypto path ('node', 'webcrypto' or 'wasm'). Shared by the ESM and CommonJS suites; Deno, Bun
// and workerd get the same data from `loadData()` and run it with portable/vectors.mjs.
//
// As in the Rust and Python runners, a vector cannot go missing quietly: the files must be the
// ones tests/vectors/manifest.json lists with its hashes, every case must run (t.skip and t.todo
// throw, a skip option or a filter leaves the count short, an early return leaves an expectation
// unread), and the last test of each path fails unless it ran as many cases as the manifest lists.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as portable from './portable/vectors.mjs';

export const ROOT = process.env.WXPAY_REPO_ROOT ?? new URL('../..', import.meta.url).pathname;
export const VECTORS = join(ROOT, 'tests', 'vectors');
const KEYS = join(VECTORS, 'keys');
const CLIENTS = JSON.parse(readFileSync(join(VECTORS, 'clients.json'), 'utf8'));
/** The core's message for every error case, pinned by the Rust vector runner. */
const MESSAGES = JSON.parse(readFileSync(join(VECTORS, 'messages.json'), 'utf8'));
/** tests/vectors/manifest.json: every vector file with its SHA-256, and the number of cases. */
const MANIFEST = JSON.parse(readFileSync(join(VECTORS, 'manifest.json'), 'utf8'));

export function caseFiles() {
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.json')) out.push(path);
    }
  };
  walk(join(VECTORS, 'cases'));
  return out.sort();
}

/** Every vector file the manifest covers, as on disk: `cases/**\/*.json`, `clients.json`, `keys/*.pem` → text. */
function vectorFiles() {
  const paths = [...caseFiles(), join(VECTORS, 'clients.json'), ...readdirSync(KEYS).filter((n) => n.endsWith('.pem')).map((n) => join(KEYS, n))];
  return Object.fromEntries(paths.map((path) => [relative(VECTORS, path).split('\\').join('/'), readFileSync(path, 'utf8')]));
}

/** The cases of `files` (the texts the manifest check hashes), sorted by name. */
function casesOf(files) {
  return Object.entries(files)
    .filter(([path]) => path.startsWith('cases/'))
    .map(([path, text]) => ({ name: path.slice('cases/'.length).replace(/\.json$/, ''), json: JSON.parse(text) }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

export function loadCases() {
  return casesOf(vectorFiles());
}

const key = (name) => readFileSync(join(KEYS, name), 'utf8');

/** Everything the runtime-neutral runner needs, read from disk: clients, messages, key files, cases, manifest, files. */
let keyFiles;
function keys() {
  keyFiles ??= Object.fromEntries(readdirSync(KEYS).filter((n) => statSync(join(KEYS, n)).isFile()).map((n) => [n, key(n)]));
  return keyFiles;
}
export function loadData() {
  const files = vectorFiles();
  return { clients: CLIENTS, messages: MESSAGES, keys: keys(), cases: casesOf(files), manifest: MANIFEST, files };
}
const DATA = { get keys() { return keys(); } };

/** A clients.json-style config with its key files read, still snake_case (null = not given). */
export const readConfig = (config) => portable.readConfig(config, DATA.keys);

/** The same config as `Client.create` options: every key camelCased, one rule. */
export const options = (config, crypto) => portable.options(config, crypto, DATA.keys);

export function makeRunner(wt, crypto) {
  return portable.makeRunner(wt, crypto, { clients: CLIENTS, messages: MESSAGES, keys: DATA.keys });
}

/** `t.skip()` and `t.todo()` throw inside vector tests: a vector that does not run fails. */
export function forbidSkipping(t) {
  for (const name of ['skip', 'todo']) {
    t[name] = () => {
      throw new assert.AssertionError({ message: `vector tests must not ${name}: every case runs on every crypto path` });
    };
  }
}

/**
 * Registers one node:test per vector file, plus the manifest check first and the count check
 * last (node:test runs them in order: a case skipped by an option never calls its function).
 */
export function registerVectorTests(test, wt, crypto) {
  const data = loadData();
  const { cases } = data;
  const runners = portable.makeRunner(wt, crypto, data);
  test(`[${crypto}] every vector file has a runner, and none may skip`, (t) => {
    assert.ok(cases.length >= 100);
    assert.equal(cases.length, caseFiles().length);
    const unknown = [...new Set(cases.map((c) => c.json.type))].filter((type) => !(type in runners));
    assert.deepEqual(unknown, []);
    assert.ok(cases.some((c) => c.json.type === 'notification'));
    forbidSkipping(t);
    assert.throws(() => t.skip('x'), assert.AssertionError);
  });
  test(`[${crypto}] the vector files match tests/vectors/manifest.json`, async () => {
    const problems = await portable.manifestProblems(data);
    assert.deepEqual(problems, [], `the vector files differ from tests/vectors/manifest.json (run \`make gen\` after a deliberate change):\n${problems.join('\n')}`);
  });
  let ran = 0;
  for (const { name, json: c } of cases) {
    test(`[${crypto}] ${name}`, async (t) => {
      ran += 1;
      forbidSkipping(t);
      await portable.runCase(runners, c, name);
    });
  }
  test(`[${crypto}] ${portable.RAN_ALL}`, () => {
    assert.equal(ran, MANIFEST.cases, `ran ${ran} of the ${MANIFEST.cases} cases tests/vectors/manifest.json lists: a vector was skipped`);
  });
}

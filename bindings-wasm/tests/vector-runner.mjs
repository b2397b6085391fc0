// Runs every file of tests/vectors/cases against a loaded `wxpay-terminate` module, with one
// crypto path ('node', 'webcrypto' or 'wasm'). Shared by the ESM and CommonJS suites.
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

export function loadCases() {
  return caseFiles().map((path) => ({ name: relative(join(VECTORS, 'cases'), path).replace(/\.json$/, ''), json: JSON.parse(readFileSync(path, 'utf8')) }));
}

const key = (name) => readFileSync(join(KEYS, name), 'utf8');

/** Everything the runtime-neutral runner needs, read from disk: clients, messages, key files, cases. */
let keyFiles;
function keys() {
  keyFiles ??= Object.fromEntries(readdirSync(KEYS).filter((n) => statSync(join(KEYS, n)).isFile()).map((n) => [n, key(n)]));
  return keyFiles;
}
export function loadData() {
  return { clients: CLIENTS, messages: MESSAGES, keys: keys(), cases: loadCases() };
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

/** Registers one node:test per vector file, plus the no-skip check. */
export function registerVectorTests(test, wt, crypto) {
  const cases = loadCases();
  const runners = makeRunner(wt, crypto);
  test(`[${crypto}] every vector file has a runner, and none may skip`, (t) => {
    assert.ok(cases.length >= 100);
    assert.equal(cases.length, caseFiles().length);
    const unknown = [...new Set(cases.map((c) => c.json.type))].filter((type) => !(type in runners));
    assert.deepEqual(unknown, []);
    assert.ok(cases.some((c) => c.json.type === 'notification'));
    forbidSkipping(t);
    assert.throws(() => t.skip('x'), assert.AssertionError);
  });
  for (const { name, json: c } of cases) {
    test(`[${crypto}] ${name}`, async (t) => {
      forbidSkipping(t);
      const run = runners[c.type];
      assert.ok(run, `no JS runner for ${c.type}`);
      await run(c, name);
    });
  }
}

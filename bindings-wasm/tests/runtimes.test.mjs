// Deno and Bun: tests/runtimes/run.mjs spawned in each (binaries from their npm packages), the
// package imported by name from this scratch project. Their results become subtests here.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { startSandbox } from './sandbox.mjs';
import { extractRecipes } from './readme.mjs';
import { report } from './node-harness.mjs';
import { RAN_ALL } from './portable/vectors.mjs';

const require = createRequire(import.meta.url);
const BIN = join(dirname(dirname(require.resolve('deno/package.json'))), '.bin');
const SCRIPT = new URL('./runtimes/run.mjs', import.meta.url).pathname;
let sandbox;

before(async () => {
  extractRecipes();
  sandbox = await startSandbox();
});
after(async () => { await sandbox?.stop(); });

const RUNTIMES = {
  deno: ['run', '--allow-read', '--allow-env', '--allow-net', '--allow-sys', SCRIPT],
  bun: [SCRIPT],
};

for (const [runtime, args] of Object.entries(RUNTIMES)) {
  test(`${runtime} runs the vectors, the sandbox e2e and the notification recipe`, { timeout: 300000 }, async (t) => {
    const child = spawn(join(BIN, runtime), args, { env: { ...process.env, SANDBOX_URL: sandbox.url, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    const code = await new Promise((resolve) => child.once('exit', resolve));
    const line = stdout.split('\n').find((l) => l.startsWith('WXPAY_RESULTS '));
    assert.ok(line, `${runtime} exited with ${code} and no results:\n${stderr.slice(-4000)}`);
    assert.equal(code, 0, stderr.slice(-4000));
    const reported = JSON.parse(line.slice('WXPAY_RESULTS '.length));
    assert.equal(reported.runtime, runtime);
    // Both resolve the package's `node` export: node:crypto through their Node compatibility.
    assert.equal(reported.auto, 'node');
    assert.ok(reported.results.length > 900, String(reported.results.length));
    // Every RSA path ran every vector the manifest lists, and the recovery from a panic.
    for (const crypto of ['node', 'webcrypto', 'wasm']) {
      assert.ok(reported.results.some((r) => r.name === `[${runtime}] [${crypto}] ${RAN_ALL}`), `${runtime} reported no vector count for ${crypto}`);
      assert.ok(reported.results.some((r) => r.name.startsWith(`[${runtime}] [${crypto}] a panic in the core`)), `${runtime} ran no recovery case on ${crypto}`);
    }
    await report(t, reported.results);
  });
}

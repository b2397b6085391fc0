// workerd: the test worker (tests/workerd/worker.mjs) bundled as wrangler bundles a Worker —
// esbuild with the `workerd` condition, so the package's `workerd` export, and its `.wasm` kept as
// a separate compiled-module import — loaded by a workerd config (.capnp) whose modules are the
// bundle and the .wasm, with outbound fetch allowed to local addresses (the sandbox, this driver).
// This file is the test driver: it serves the vectors and the e2e plan, receives the results.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { basename, dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import * as esbuild from 'esbuild';
import { startSandbox } from './sandbox.mjs';
import { extractRecipes } from './readme.mjs';
import { loadData } from './vector-runner.mjs';
import { loadE2E, report } from './node-harness.mjs';
import { RAN_ALL } from './portable/vectors.mjs';

const require = createRequire(import.meta.url);
const OUT = new URL('./workerd/out/', import.meta.url).pathname;
let sandbox;
let workerd;

/** What wrangler does with `import wasm from './x.wasm'`: the file becomes its own module. */
const wasmModules = {
  name: 'wasm-modules',
  setup(build) {
    build.onResolve({ filter: /\.wasm$/ }, (args) => {
      const file = join(args.resolveDir, args.path);
      copyFileSync(file, join(OUT, basename(file)));
      return { path: `./${basename(file)}`, external: true };
    });
  },
};

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

before(async () => {
  extractRecipes();
  mkdirSync(OUT, { recursive: true });
  await esbuild.build({
    entryPoints: [new URL('./workerd/worker.mjs', import.meta.url).pathname],
    outfile: join(OUT, 'worker.mjs'),
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    external: ['node:*'],
    plugins: [wasmModules],
    logLevel: 'warning',
  });
  sandbox = await startSandbox();
});
after(async () => {
  if (workerd && workerd.exitCode === null) {
    const exited = new Promise((resolve) => workerd.once('exit', resolve));
    workerd.kill('SIGTERM');
    await exited;
  }
  await sandbox?.stop();
});

test('workerd runs the vectors, the sandbox e2e and the notification recipe', { timeout: 300000 }, async (t) => {
  const port = await freePort();
  writeFileSync(join(OUT, 'config.capnp'), `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    # Outbound fetch: loopback only is needed (the sandbox and the test driver on 127.0.0.1).
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "worker.mjs", esModule = embed "worker.mjs"),
    (name = "wxpay_terminate_wasm_bg.wasm", wasm = embed "wxpay_terminate_wasm_bg.wasm"),
  ],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = ["nodejs_compat"],
  globalOutbound = "loopback",
);
`);
  const data = JSON.stringify({ vectors: loadData(), ...loadE2E() });
  let resolveResults;
  const results = new Promise((resolve) => { resolveResults = resolve; });
  const driver = createServer(async (req, res) => {
    if (req.url === '/data') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(data);
    } else if (req.url === '/results' && req.method === 'POST') {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      resolveResults(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(204).end();
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => driver.listen(0, '127.0.0.1', resolve));
  try {
    // bin/workerd: the native binary (or, before its postinstall ran, a shim with a shebang).
    const bin = join(dirname(require.resolve('workerd/package.json')), 'bin', 'workerd');
    let stderr = '';
    workerd = spawn(bin, ['serve', join(OUT, 'config.capnp')], { stdio: ['ignore', 'ignore', 'pipe'] });
    workerd.stderr.on('data', (chunk) => { stderr += chunk; });
    const self = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 20000;
    for (;;) {
      try {
        if ((await fetch(`${self}/`, { signal: AbortSignal.timeout(1000) })).status === 404) break;
      } catch {
        // not listening yet
      }
      if (workerd.exitCode !== null || Date.now() > deadline) assert.fail(`workerd did not start: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const run = await fetch(`${self}/run`, { method: 'POST', body: JSON.stringify({ driver: `http://127.0.0.1:${driver.address().port}`, sandboxUrl: sandbox.url, self }), signal: AbortSignal.timeout(280000) });
    const text = await run.text();
    assert.equal(run.status, 200, `${text}\n${stderr}`);
    const reported = await results;
    assert.equal(reported.auto, 'webcrypto');
    assert.equal(reported.results.length, Number(text));
    // Every RSA path ran every vector the manifest lists, and the recovery from a panic.
    for (const crypto of ['webcrypto', 'wasm']) {
      assert.ok(reported.results.some((r) => r.name === `[workerd] [${crypto}] ${RAN_ALL}`), `workerd reported no vector count for ${crypto}`);
      assert.ok(reported.results.some((r) => r.name.startsWith(`[workerd] [${crypto}] a panic in the core`)), `workerd ran no recovery case on ${crypto}`);
    }
    await report(t, reported.results);
  } finally {
    await new Promise((resolve) => driver.close(resolve));
  }
});

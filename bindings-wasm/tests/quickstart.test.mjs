// The README's quick start, run as it stands: in a folder holding the sandbox's test keys as
// apiclient_key.pem and pub_key.pem, with fetch routed from api.mch.weixin.qq.com to the sandbox
// (the signature covers path and body, not the host, as through a forwarding proxy).
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox } from './sandbox.mjs';
import { extractRecipes, recipePath } from './readme.mjs';
import { ROOT } from './vector-runner.mjs';

let sandbox;
before(async () => {
  extractRecipes();
  sandbox = await startSandbox();
});
after(async () => { await sandbox?.stop(); });

test('the README quick start terminates the seed papay contract', async () => {
  await sandbox.control('POST', '/sandbox/reset');
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-quickstart-'));
  try {
    copyFileSync(join(ROOT, 'tests/vectors/keys/merchant_doc_pkcs8.pem'), join(dir, 'apiclient_key.pem'));
    copyFileSync(join(ROOT, 'tests/sandbox/keys/wechatpay_public_key.pem'), join(dir, 'pub_key.pem'));
    const route = join(dir, 'route.mjs');
    writeFileSync(route, `const real = globalThis.fetch;
globalThis.fetch = (url, init) => real(String(url).replace('https://api.mch.weixin.qq.com', ${JSON.stringify(sandbox.url)}), init);
await import(${JSON.stringify(recipePath('quickstart.mjs'))});
`);
    const child = spawn(process.execPath, [route], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => { out += c; });
    child.stderr.on('data', (c) => { err += c; });
    assert.equal(await new Promise((resolve) => child.once('exit', resolve)), 0, err);
    assert.match(out.trim(), /^TERMINATED \S+$/);
    assert.equal(await sandbox.state('papay:12535:wxwtdk20200910100000'), 'TERMINATED');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

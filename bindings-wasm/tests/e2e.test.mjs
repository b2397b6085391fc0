// tests/sandbox/e2e_plan.json over real HTTP with Node's fetch, on both crypto paths.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as wt from 'wxpay-terminate';
import { ROOT } from './vector-runner.mjs';
import { startSandbox } from './sandbox.mjs';

const PLAN = JSON.parse(readFileSync(join(ROOT, 'tests/sandbox/e2e_plan.json'), 'utf8'));
const camel = (id) => id.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
let sandbox;

before(async () => { sandbox = await startSandbox(); });
after(async () => { await sandbox?.stop(); });

function client(crypto) {
  const m = PLAN.merchant;
  const file = (p) => readFileSync(join(ROOT, p), 'utf8');
  return wt.Client.create({
    mchid: m.mchid,
    serialNo: m.serial_no,
    privateKey: file(m.private_key),
    wechatpayPublicKeyId: m.wechatpay_public_key_id,
    wechatpayPublicKey: file(m.wechatpay_public_key),
    platformCertificates: m.platform_certificates.map(file),
    baseUrl: sandbox.url,
    globalBaseUrl: sandbox.url,
    crypto,
  });
}

function contains(actual, want) {
  if (want && typeof want === 'object') return actual && typeof actual === 'object' && Object.entries(want).every(([k, v]) => contains(actual[k], v));
  return actual === want;
}

test('the plan covers every operation', () => {
  assert.deepEqual(new Set(PLAN.terminations.map((t) => t.operation)), new Set(wt.OPERATIONS));
});

for (const crypto of ['node', 'webcrypto', 'wasm']) {
  for (const step of PLAN.terminations) {
    test(`[${crypto}] ${step.operation} terminates over fetch`, async () => {
      await sandbox.control('POST', '/sandbox/reset');
      const c = await client(crypto);
      assert.equal(await sandbox.state(step.record), 'EFFECTIVE');
      const req = await c[camel(step.operation)](step.params);
      const res = await fetch(req.url, { ...req, signal: AbortSignal.timeout(10000) });
      const result = await c.parse(req, res);
      assert.equal(result.status, step.status);
      assert.ok(result.requestId);
      if (step.data === null) assert.equal(result.data, null);
      else assert.ok(contains(result.data, step.data), JSON.stringify(result.data));
      assert.notEqual(await sandbox.state(step.record), 'EFFECTIVE');
    });
  }
  for (const step of PLAN.failures) {
    test(`[${crypto}] ${step.name} becomes ${step.error.kind}`, async () => {
      await sandbox.control('POST', '/sandbox/reset');
      const c = await client(crypto);
      const req = await c[camel(step.operation)](step.params);
      if (step.fault) await sandbox.control('POST', '/sandbox/faults', { fault: step.fault, count: 1 });
      const res = await fetch(req.url, { ...req, signal: AbortSignal.timeout(10000) });
      await assert.rejects(c.parse(req, res), (e) => {
        assert.equal(e.constructor, wt.ERROR_CLASSES[step.error.kind], `${e.name}: ${e.message}`);
        for (const k of ['status', 'code', 'retryable']) if (k in step.error) assert.equal(e[k], step.error[k]);
        if (e.kind === 'api') assert.ok(e.requestId);
        return true;
      });
    });
  }
}

// tests/sandbox/e2e_plan.json over real HTTP with Node's fetch, on every crypto path, and the
// sandbox's termination notifications received by a node:http notify_url.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
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

function client(crypto, extra = {}) {
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
    ...extra,
  });
}

function contains(actual, want) {
  if (want && typeof want === 'object') return actual && typeof actual === 'object' && Object.entries(want).every(([k, v]) => contains(actual[k], v));
  return actual === want;
}

test('the plan covers every termination (each confirmed by a query of the catalog)', () => {
  assert.deepEqual(new Set(PLAN.terminations.map((t) => t.operation)), new Set(wt.CATALOG.operations.filter((op) => op.confirm_with).map((op) => op.id)));
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

/** A notify_url on node:http: raw body bytes to the client, its verdict back as the reply. */
async function receiver(c) {
  const received = [];
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    let reply;
    try {
      received.push(await c.parseNotification(req.headers, Buffer.concat(chunks)));
      reply = wt.notificationAck();
    } catch (e) {
      received.push(e);
      reply = wt.notificationNack(e.name);
    }
    res.writeHead(reply.status, reply.headers).end(reply.body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { received, url: `http://127.0.0.1:${server.address().port}/wxpay/notify`, close: () => new Promise((resolve) => server.close(resolve)) };
}

async function until(what, check) {
  const deadline = Date.now() + 15000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const PAPAY = PLAN.terminations.find((t) => t.operation === 'terminate_papay_contract');

for (const crypto of ['node', 'webcrypto', 'wasm']) {
  test(`[${crypto}] a termination's notification: a tampered first delivery is nacked, the retry acked`, async () => {
    await sandbox.control('POST', '/sandbox/reset');
    const { merchants } = await sandbox.control('GET', '/sandbox/merchants');
    const apiv3Key = merchants.find((m) => m.mchid === PLAN.merchant.mchid).apiv3_key;
    const c = await client(crypto, { apiv3Key });
    const notify = await receiver(c);
    try {
      await sandbox.control('POST', `/sandbox/merchants/${PLAN.merchant.mchid}/notify-url`, { notify_url: notify.url });
      await sandbox.control('POST', '/sandbox/notify-faults', { fault: 'tampered_ciphertext', count: 1 });
      const req = await c.terminatePapayContract(PAPAY.params);
      const result = await c.parse(req, await fetch(req.url, { ...req, signal: AbortSignal.timeout(10000) }));
      assert.equal(result.data.contract_state, 'TERMINATED');
      const log = await until('the delivery', async () => {
        const l = await sandbox.control('GET', '/sandbox/notifications');
        return l.notifications.length === 1 && l.notifications[0].state === 'delivered' ? l : null;
      });
      assert.equal(notify.received.length, 2, notify.received.map(String).join(', '));
      const [first, second] = notify.received;
      assert.ok(first instanceof wt.DecryptionError, String(first));
      assert.equal(second.event_type, 'ENTRUST.TERMINATE');
      assert.equal(second.id, log.notifications[0].id);
      assert.ok(wt.isEvent(second, 'ENTRUST.TERMINATE'));
      assert.equal(second.resource.out_contract_code, PAPAY.params.out_contract_code);
      assert.equal(second.resource.plan_id, PAPAY.params.plan_id);
      assert.equal(second.resource.contract_state, 'TERMINATED');
    } finally {
      await notify.close();
    }
  });
}

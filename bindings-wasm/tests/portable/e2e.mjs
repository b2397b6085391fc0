// The sandbox end-to-end suite as plain async functions (any runtime with fetch): every operation
// of tests/sandbox/e2e_plan.json, every response fault, and platform certificates over their life
// (bootstrap download, rotation, one refresh that re-verifies the same bytes). `notify`, where the
// runtime can listen, is a notify_url served by the README's fetch-style recipe.
import assert from 'node:assert/strict';
import { controlOf, until } from './sandbox-control.mjs';

const camel = (id) => id.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

function contains(actual, want) {
  if (want && typeof want === 'object') return actual && typeof actual === 'object' && Object.entries(want).every(([k, v]) => contains(actual[k], v));
  return actual === want;
}

/** A public key id the sandbox never signs with: a client trusting only it trusts no real signer. */
const NOBODY_KEY_ID = 'PUB_KEY_ID_0119000072912025112400000000000001';
export const NOBODY_KEY = 'tests/sandbox/keys/merchant_1900007291.pub.pem';

/**
 * `env`: { sandboxUrl, plan, files (repo path → text), crypto, call (the certificates recipe),
 * notify?: { url, use(client), processed: [], errors: [] } }.
 */
export function e2eCases(wt, env) {
  const { sandboxUrl, plan, files, crypto, call, notify } = env;
  const control = controlOf(sandboxUrl);
  const m = plan.merchant;
  const state = async (id) => (await control('GET', '/sandbox/state')).records.find((r) => r.id === id).state;
  const client = (extra = {}) =>
    wt.Client.create({
      mchid: m.mchid,
      serialNo: m.serial_no,
      privateKey: files[m.private_key],
      wechatpayPublicKeyId: m.wechatpay_public_key_id,
      wechatpayPublicKey: files[m.wechatpay_public_key],
      platformCertificates: m.platform_certificates.map((p) => files[p]),
      baseUrl: sandboxUrl,
      globalBaseUrl: sandboxUrl,
      crypto,
      ...extra,
    });
  const cases = [];
  const add = (name, fn) => cases.push({ name: `[${crypto}] ${name}`, fn });

  add('the plan covers every termination (each confirmed by a query of the catalog)', async () => {
    assert.deepEqual(new Set(plan.terminations.map((t) => t.operation)), new Set(wt.CATALOG.operations.filter((op) => op.confirm_with).map((op) => op.id)));
  });
  for (const step of plan.terminations) {
    add(`${step.operation} terminates over fetch`, async () => {
      await control('POST', '/sandbox/reset');
      const c = await client();
      assert.equal(await state(step.record), 'EFFECTIVE');
      const req = await c[camel(step.operation)](step.params);
      const result = await c.parse(req, await fetch(req.url, { ...req, signal: AbortSignal.timeout(10000) }));
      assert.equal(result.status, step.status);
      assert.ok(result.requestId);
      if (step.data === null) assert.equal(result.data, null);
      else assert.ok(contains(result.data, step.data), JSON.stringify(result.data));
      assert.notEqual(await state(step.record), 'EFFECTIVE');
    });
  }
  for (const step of plan.failures) {
    add(`${step.name} becomes ${step.error.kind}`, async () => {
      await control('POST', '/sandbox/reset');
      const c = await client();
      const req = await c[camel(step.operation)](step.params);
      if (step.fault) await control('POST', '/sandbox/faults', { fault: step.fault, count: 1 });
      const res = await fetch(req.url, { ...req, signal: AbortSignal.timeout(10000) });
      await assert.rejects(c.parse(req, res), (e) => {
        assert.equal(e.constructor, wt.ERROR_CLASSES[step.error.kind], `${e.name}: ${e.message}`);
        for (const k of ['status', 'code', 'retryable']) if (k in step.error) assert.equal(e[k], step.error[k]);
        if (e.kind === 'api') assert.ok(e.requestId);
        return true;
      });
    });
  }

  // Terminate with certainty, on this runtime's fetch, timers and crypto; faults armed in the
  // sandbox (no custom header), each counted from the ledger.
  const papay = plan.terminations.find((t) => t.operation === 'terminate_papay_contract');
  for (const [fault, count, source, sends] of [['reset_after', 1, 'query_response', [1, 1]], ['system_error', 2, 'terminate_response', [3, 0]]]) {
    add(`terminateAndConfirm: ${count} × ${fault} → terminated once, confirmed by the ${source}`, async () => {
      await control('POST', '/sandbox/reset');
      const c = await client();
      await control('POST', '/sandbox/faults', { fault, count });
      const outcome = await wt.terminateAndConfirm(c, papay.operation, papay.params, { policy: { backoffInitialMs: 20, backoffMaxMs: 200 } });
      assert.equal(outcome.kind, 'terminated', outcome.reason);
      assert.equal(outcome.evidence.source, source);
      assert.deepEqual([outcome.terminateSends, outcome.querySends], sends);
      const entry = (await control('GET', '/sandbox/ledger')).contracts[papay.record];
      assert.deepEqual([entry.applied, entry.after_confirmed], [1, 0]);
    });
  }

  add(`certificates over their life: bootstrap, rotation, one refresh per new signer${notify ? ' (answers and notifications)' : ''}`, async () => {
    await control('POST', '/sandbox/reset');
    const { merchants } = await control('GET', '/sandbox/merchants');
    const apiv3Key = merchants.find((x) => x.mchid === m.mchid).apiv3_key;
    // Trusts one public key that signs nothing: every answer must be verified by a downloaded certificate.
    const c = await client({ wechatpayPublicKeyId: NOBODY_KEY_ID, wechatpayPublicKey: files[NOBODY_KEY], platformCertificates: undefined, apiv3Key });
    assert.deepEqual(c.certificates, []);
    // The bootstrap download (a client verifying by public key is not due until it meets a serial it does not know).
    assert.equal(await wt.refreshCertificates(c, { force: true }), true);
    if (notify) {
      notify.use(c);
      await control('POST', `/sandbox/merchants/${m.mchid}/notify-url`, { notify_url: notify.url });
      await control('POST', `/sandbox/merchants/${m.mchid}/notify-signer`, { notify_signer: 'platform_certificate' });
    }
    const first = (await control('GET', '/sandbox/certificates')).signer;
    const [a, b] = ['wxwtdk20200910100000', 'wxwtdk20200910100001'].map((code) => ({ plan_id: 12535, out_contract_code: code, contract_termination_remark: '证书轮换' }));
    const processed = (code) => notify && until(`the notification for ${code}`, () => notify.processed.find((n) => n.resource?.out_contract_code === code));

    const ra = await call(c, 'terminatePapayContract', a);
    assert.equal(ra.data.contract_state, 'TERMINATED');
    assert.deepEqual(c.certificates.map(([s]) => s), [first]);
    if (notify) await processed(a.out_contract_code);

    const rotated = await control('POST', '/sandbox/certificates/rotate');
    const fresh = rotated.listed[rotated.listed.length - 1].serial_no;
    assert.equal((await control('POST', '/sandbox/certificates/activate')).signer, fresh);
    assert.equal(c.certificatesRefreshDue(), false);

    const rb = await call(c, 'terminatePapayContract', b);
    assert.equal(rb.data.out_contract_code, b.out_contract_code);
    assert.ok(c.verificationSerials.includes(fresh));
    assert.deepEqual(new Set(c.certificates.map(([s]) => s)), new Set([first, fresh]));
    if (notify) {
      const nb = await processed(b.out_contract_code);
      assert.equal(nb.event_type, 'ENTRUST.TERMINATE');
      assert.deepEqual(notify.errors.map(String), []);
      const { deliveries } = await until('both deliveries logged', async () => {
        const log = await control('GET', '/sandbox/notifications');
        return log.deliveries.length >= 2 && log;
      });
      assert.deepEqual(deliveries.map((d) => d.status), [200, 200], JSON.stringify(deliveries));
    }
    const { requests } = await control('GET', '/sandbox/log');
    const terminates = requests.filter((r) => r.operation === 'terminate_papay_contract');
    assert.equal(terminates.length, 2, 'each terminate sent once');
    assert.equal(new Set(terminates.map((r) => r.nonce)).size, 2);
    assert.deepEqual(terminates.map((r) => r.path.split('/').pop() === 'terminate' && r.status), [200, 200]);
    const downloads = requests.filter((r) => r.operation === 'download_certificates');
    assert.equal(downloads.length, 2, 'the bootstrap download and one refresh');
    assert.deepEqual(downloads.map((r) => r.status), [200, 200]);
  });
  return cases;
}

/** Runs cases sequentially: `[{name, ok, error}]`, never throwing. */
export async function runCases(cases) {
  const results = [];
  for (const { name, fn } of cases) {
    try {
      await fn();
      results.push({ name, ok: true, error: null });
    } catch (e) {
      results.push({ name, ok: false, error: String(e && e.stack ? e.stack : e).slice(0, 2000) });
    }
  }
  return results;
}

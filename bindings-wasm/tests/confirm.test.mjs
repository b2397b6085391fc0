// Terminate-and-confirm against the sandbox, on the node:crypto, WebCrypto and WASM paths: every
// fault the recipe must survive, counted from the sandbox's own ledger (terminations applied,
// terminations sent after confirmation); the step-by-step machine and its journal; a real
// notification confirming; and 400 contracts under chaos, 16 in flight.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as wt from 'wxpay-terminate';
import { ROOT } from './vector-runner.mjs';
import { startSandbox } from './sandbox.mjs';
import { extractRecipes, recipePath } from './readme.mjs';

const PLAN = JSON.parse(readFileSync(join(ROOT, 'tests/sandbox/e2e_plan.json'), 'utf8'));
const PAPAY = { plan_id: 12535, out_contract_code: 'wxwtdk20200910100001', contract_termination_remark: '测试解约' };
const PAPAY_ID = 'papay:12535:wxwtdk20200910100001';
const FAST = { backoffInitialMs: 20, backoffMaxMs: 200 };
const CRYPTO = ['node', 'webcrypto', 'wasm'];
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
    baseUrl: sandbox.url,
    globalBaseUrl: sandbox.url,
    crypto,
    ...extra,
  });
}

/** A fetch that adds `X-Sandbox-Fault` to the n-th request (null: none) and records the methods. */
function faultyFetch(faults) {
  const calls = [];
  const send = (url, init) => {
    const fault = faults[calls.length] ?? null;
    calls.push(init.method);
    return fetch(url, fault ? { ...init, headers: { ...init.headers, 'X-Sandbox-Fault': fault } } : init);
  };
  send.calls = calls;
  return send;
}

const ledger = async () => sandbox.control('GET', '/sandbox/ledger');

async function reset() {
  await sandbox.control('POST', '/sandbox/reset');
}

const FAULTS = [
  [[], ['POST'], 'terminate_response'],
  // The answer is lost after the termination was applied: the query confirms it.
  [['reset_after'], ['POST', 'GET'], 'query_response'],
  // Lost before it was applied: the query finds it effective, the terminate goes again.
  [['reset_before'], ['POST', 'GET', 'POST'], 'terminate_response'],
  [['ratelimit', 'ratelimit'], ['POST', 'POST', 'POST'], 'terminate_response'],
  // A 5xx is retried with the same signed request, as WeChat Pay advises.
  [['system_error'], ['POST', 'POST'], 'terminate_response'],
  // Answers that do not verify are not trusted either way: the query decides.
  [['probe'], ['POST', 'GET'], 'query_response'],
  [['bad_signature'], ['POST', 'GET'], 'query_response'],
  [['tampered_body'], ['POST', 'GET'], 'query_response'],
  [['unknown_serial'], ['POST', 'GET'], 'query_response'],
  [['reset_after', 'system_error', 'reset_before'], ['POST', 'GET', 'GET', 'GET'], 'query_response'],
];

const FAMILIES = [
  ['terminate_eduschoolpay_contract', { contract_id: '2045011120563805041758214605' }],
  ['terminate_password_exempt_contract', { service_id: 12535, out_contract_code: 'wxwtdk20200910100000', contract_termination_remark: 'r' }],
  ['terminate_papay_contract', PAPAY],
  ['terminate_papay_partner_contract', { plan_id: 12535, out_contract_code: 'wxwtdk20200910200000', sub_mchid: '1900000109', contract_termination_remark: 'r' }],
  ['terminate_papay_insurance_contract', { plan_id: 12535, out_contract_code: 'insur20240101000001', contract_termination_remark: 'r' }],
  ['terminate_combine_papay_contract', { plan_id: 12535, out_contract_code: 'combine2024010100001', contract_termination_remark: 'r' }],
  ['terminate_credit_repayment_contract', { out_contract_code: '100001256', contract_termination_remark: 'r' }],
  ['terminate_global_papay_contract', { contract_id: '203009101000000000000001', appid: 'wxd678efh567hg6787' }],
  ['terminate_edu_papay_contract', { contract_id: '204009101000000000000001' }, { appid: 'wxd678efh567hg6787' }],
];

for (const crypto of CRYPTO) {
  for (const [faults, methods, source] of FAULTS) {
    test(`[${crypto}] ${faults.join(' + ') || 'no fault'}: terminated once, confirmed by the ${source}`, async () => {
      await reset();
      const c = await client(crypto);
      assert.equal(c.crypto, crypto);
      const send = faultyFetch(faults);
      const outcome = await wt.terminateAndConfirm(c, 'terminate_papay_contract', PAPAY, { fetch: send, policy: FAST });
      assert.equal(outcome.kind, 'terminated', outcome.reason);
      assert.equal(outcome.confirmed, true);
      assert.equal(outcome.error, null);
      assert.deepEqual(send.calls, methods);
      assert.equal(outcome.evidence.source, source);
      assert.ok(outcome.evidence.requestId);
      assert.equal(outcome.terminateSends, methods.filter((m) => m === 'POST').length);
      assert.equal(outcome.querySends, methods.filter((m) => m === 'GET').length);
      assert.equal(await sandbox.state(PAPAY_ID), 'TERMINATED');
      const entry = (await ledger()).contracts[PAPAY_ID];
      assert.equal(entry.applied, 1);
      assert.equal(entry.after_confirmed, 0);
    });
  }

  test(`[${crypto}] an answer slower than timeoutMs is a lost answer`, async () => {
    await reset();
    const c = await client(crypto);
    await sandbox.control('POST', '/sandbox/faults', { fault: 'slow', count: 1, delay_ms: 1500 });
    const started = Date.now();
    const outcome = await wt.terminateAndConfirm(c, 'terminate_papay_contract', PAPAY, { timeoutMs: 500, policy: FAST });
    assert.equal(outcome.kind, 'terminated', outcome.reason);
    assert.equal(outcome.evidence.source, 'query_response');
    assert.ok(Date.now() - started < 1500, 'the slow answer was awaited');
    const entry = (await ledger()).contracts[PAPAY_ID];
    assert.equal(entry.applied, 1);
    assert.equal(entry.after_confirmed, 0);
  });

  test(`[${crypto}] a refusal the query explains is already_terminated`, async () => {
    await reset();
    const c = await client(crypto);
    const params = { ...PAPAY, out_contract_code: 'wxwtdk20200910100009' }; // the user ended it before
    const outcome = await wt.terminateAndConfirm(c, 'terminate_papay_contract', params, { policy: FAST });
    assert.equal(outcome.kind, 'already_terminated', outcome.reason);
    assert.equal(outcome.confirmed, true);
    assert.ok(outcome.error instanceof wt.ApiError, String(outcome.error));
    assert.equal(outcome.error.status, 400);
    assert.equal(outcome.evidence.source, 'query_response');
    assert.equal(outcome.evidence.state, 'contract_state TERMINATED (USER_TERMINATE)');
    assert.equal((await ledger()).contracts['papay:12535:wxwtdk20200910100009'].applied, 0);
  });

  test(`[${crypto}] an unknown contract is not_found`, async () => {
    await reset();
    const c = await client(crypto);
    const outcome = await wt.terminateAndConfirm(c, 'terminate_papay_contract', { ...PAPAY, out_contract_code: 'nosuchcontract' }, { policy: FAST });
    assert.equal(outcome.kind, 'not_found', outcome.reason);
    assert.equal(outcome.evidence.state, 'NOT_FOUND');
    assert.equal(outcome.evidence.status, 404);
    assert.deepEqual([outcome.terminateSends, outcome.querySends], [1, 0]);
  });

  test(`[${crypto}] step by step: the journal holds no signature, and a machine restored in flight queries first`, async () => {
    await reset();
    const c = await client(crypto);
    const machine = new wt.Termination('terminate_papay_contract', PAPAY, { policy: FAST });
    let step = await machine.next(c);
    assert.equal(step.type, 'send');
    assert.deepEqual([step.purpose, step.attempt], ['terminate', 1]);
    assert.equal(machine.inFlight, 'terminate');
    const { request } = step;
    assert.match(request.headers.Authorization, /^WECHATPAY2-SHA256-RSA2048 /);
    await assert.rejects(fetch(request.url, { ...request, headers: { ...request.headers, 'X-Sandbox-Fault': 'reset_after' } }));
    // The process dies here with the request in flight.
    const saved = JSON.stringify(machine);
    assert.doesNotMatch(saved, /signature|WECHATPAY2/i);
    assert.equal(JSON.parse(saved).in_flight, 'terminate');
    const resumed = wt.Termination.fromJSON(saved);
    assert.equal(resumed.inFlight, null);
    step = await resumed.next(c);
    assert.equal(step.type, 'send');
    assert.equal(step.purpose, 'query');
    assert.equal(step.request.operation, resumed.queryOperation);
    await resumed.onResponse(c, await fetch(step.request.url, step.request));
    step = await resumed.next(c);
    assert.equal(step.type, 'done');
    assert.equal(step.outcome.kind, 'terminated');
    assert.equal(step.outcome.evidence.source, 'query_response');
    assert.deepEqual(resumed.outcome, step.outcome);
    assert.equal((await ledger()).contracts[PAPAY_ID].after_confirmed, 0);
  });

  test(`[${crypto}] wait steps give the back-off; aborting a wait rejects at once`, async () => {
    await reset();
    const c = await client(crypto);
    const machine = new wt.Termination('terminate_papay_contract', PAPAY, { policy: { backoffInitialMs: 400, backoffMaxMs: 400 } });
    const step = await machine.next(c, { nowMs: 1_000 });
    assert.equal(step.type, 'send');
    const body = new TextEncoder().encode('{"code":"RATELIMIT_EXCEEDED","message":"x"}');
    await machine.onResponse(c, { status: 429, headers: {}, body }, { nowMs: 1_000 });
    assert.ok(machine.lastError instanceof wt.ApiError && machine.lastError.retryable);
    const wait = await machine.next(c, { nowMs: 1_000 });
    assert.equal(wait.type, 'wait');
    assert.ok(wait.untilMs >= 1_200 && wait.untilMs <= 1_400, String(wait.untilMs));

    const controller = new AbortController();
    const slowPolicy = { backoffInitialMs: 60_000, backoffMaxMs: 60_000 };
    const run = wt.terminateAndConfirm(c, 'terminate_papay_contract', PAPAY, { fetch: faultyFetch(['ratelimit']), policy: slowPolicy, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stopped by the test')), 100);
    const started = Date.now();
    await assert.rejects(run, /stopped by the test/);
    assert.ok(Date.now() - started < 5_000);
  });
}

for (const crypto of ['node', 'webcrypto']) {
  for (const [operation, params, queryParams] of FAMILIES) {
    test(`[${crypto}] ${operation} is confirmed by its own query after a lost answer`, async () => {
      await reset();
      const c = await client(crypto);
      const outcome = await wt.terminateAndConfirm(c, operation, params, { queryParams, fetch: faultyFetch(['reset_after']), policy: FAST });
      assert.equal(outcome.kind, 'terminated', outcome.reason);
      assert.equal(outcome.evidence.source, 'query_response');
      assert.equal(outcome.evidence.operation, wt.CATALOG.operations.find((op) => op.id === operation).confirm_with);
      const { totals } = await ledger();
      assert.equal(totals.applied, 1);
      assert.equal(totals.after_confirmed, 0);
    });
  }

  test(`[${crypto}] a notification confirms without a query`, async () => {
    await reset();
    const { merchants } = await sandbox.control('GET', '/sandbox/merchants');
    const apiv3Key = merchants.find((m) => m.mchid === PLAN.merchant.mchid).apiv3_key;
    const c = await client(crypto, { apiv3Key });
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
    try {
      await sandbox.control('POST', `/sandbox/merchants/${PLAN.merchant.mchid}/notify-url`, { notify_url: `http://127.0.0.1:${server.address().port}/notify` });
      const machine = new wt.Termination('terminate_papay_contract', PAPAY, { policy: FAST });
      assert.equal((await machine.next(c)).type, 'send');
      machine.onTransportError(); // the answer is lost …
      // … another contract's end arrives, then this one's (the user ended it).
      await sandbox.control('POST', '/sandbox/contracts/terminate', { contract: 'papay:12535:wxwtdk20200910100000' });
      await sandbox.control('POST', '/sandbox/contracts/terminate', { contract: PAPAY_ID });
      const deadline = Date.now() + 15_000;
      while (received.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(received.length, 2);
      // Delivered in the background: in either order.
      const other = received.find((n) => n.resource?.out_contract_code === 'wxwtdk20200910100000');
      const mine = received.find((n) => n.resource?.out_contract_code === PAPAY.out_contract_code);
      assert.ok(other && mine, received.map(String).join(', '));
      assert.equal(machine.onNotification(other), false);
      assert.equal(machine.outcome, null);
      assert.equal(machine.onNotification(mine), true);
      const step = await machine.next(c);
      assert.equal(step.type, 'done');
      assert.equal(step.outcome.kind, 'terminated');
      assert.equal(step.outcome.evidence.source, 'notification');
      assert.equal(step.outcome.evidence.notificationId, mine.id);
      assert.equal(step.outcome.evidence.operation, 'ENTRUST.TERMINATE');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
}

test('the README recipe: a lost answer, then a contract the user had ended', async () => {
  extractRecipes();
  const { endContract } = await import(recipePath('confirm.mjs'));
  await reset();
  const c = await client('auto');
  await sandbox.control('POST', '/sandbox/faults', { fault: 'reset_after', count: 1 });
  const ended = await endContract(c, PAPAY.out_contract_code);
  assert.equal(ended.kind, 'terminated');
  assert.ok(ended.requestId);
  assert.equal((await endContract(c, 'wxwtdk20200910100009')).kind, 'already_terminated');
  const { contracts } = await ledger();
  assert.deepEqual([contracts[PAPAY_ID].applied, contracts[PAPAY_ID].after_confirmed], [1, 0]);
});

test('bad input is refused before anything is signed or sent', async () => {
  await reset();
  const c = await client('auto');
  const refused = (work, field) => assert.throws(work, (e) => e instanceof wt.InvalidInputError && e.field === field && !/BEGIN|PRIVATE/.test(e.message));
  refused(() => new wt.Termination('terminate_facepay_user_contract', { organization_id: '1000032', user_id: 'FACEUSER0000000001' }), 'out_user_id');
  refused(() => new wt.Termination('query_papay_contract', { plan_id: 1, out_contract_code: 'x' }), 'operation');
  refused(() => new wt.Termination('terminate_papay_contract', PAPAY, { policy: { maxQuerySends: 'many' } }), 'policy');
  refused(() => new wt.Termination('terminate_papay_contract', PAPAY, { policy: { max_query_sends: 3 } }), 'policy');
  refused(() => new wt.Termination('terminate_papay_contract', PAPAY, { queryParams: [1] }), 'queryParams');
  refused(() => wt.Termination.fromJSON('{not json'), 'state');
  const machine = new wt.Termination('terminate_papay_contract', PAPAY);
  refused(() => machine.onError('HTTP 500'), 'error');
  refused(() => machine.onTransportError(), 'step');
  await assert.rejects(machine.next(c, { nowMs: 1.5 }), (e) => e instanceof wt.InvalidInputError && e.field === 'nowMs');
  await assert.rejects(machine.next({}), (e) => e instanceof wt.InvalidInputError && e.field === 'client');
  const { plan_id, ...noPlan } = PAPAY;
  void plan_id;
  const send = faultyFetch([]);
  await assert.rejects(wt.terminateAndConfirm(c, 'terminate_papay_contract', noPlan, { fetch: send }), (e) => e instanceof wt.InvalidInputError && e.field === 'plan_id');
  await assert.rejects(wt.terminateAndConfirm(c, 'terminate_papay_contract', PAPAY, { fetch: send, timeoutMs: 0 }), (e) => e instanceof wt.InvalidInputError && e.field === 'timeoutMs');
  await assert.rejects(wt.terminateAndConfirm(c, 'terminate_papay_contract', PAPAY, { fetch: 'fetch' }), (e) => e instanceof wt.InvalidInputError && e.field === 'fetch');
  assert.deepEqual(send.calls, []);
  assert.deepEqual((await sandbox.control('GET', '/sandbox/log')).requests, []);
});

for (const crypto of ['node', 'webcrypto']) {
  test(`[${crypto}] 400 contracts under chaos, 16 in flight: each terminated exactly once, none after confirmation`, { timeout: 300_000 }, async (t) => {
    await reset();
    const c = await client(crypto);
    const prefix = `JS${crypto.slice(0, 4).toUpperCase()}`;
    const { records } = await sandbox.control('POST', '/sandbox/seed', { collection: 'papay', owner: PLAN.merchant.mchid, count: 400, prefix });
    assert.equal(records.length, 400);
    await sandbox.control('POST', '/sandbox/chaos', {
      seed: 20261202,
      rates: { reset_before: 0.03, reset_after: 0.03, ratelimit: 0.05, system_error: 0.05, probe: 0.03 },
    });
    const outcomes = new Map();
    const queue = [...records];
    const started = performance.now();
    await Promise.all(Array.from({ length: 16 }, async () => {
      for (let record = queue.shift(); record !== undefined; record = queue.shift()) {
        const params = { ...record.params, contract_termination_remark: '批量解约' };
        outcomes.set(record.id, await wt.terminateAndConfirm(c, 'terminate_papay_contract', params, { policy: FAST }));
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    const chaos = await sandbox.control('GET', '/sandbox/chaos');
    await sandbox.control('POST', '/sandbox/chaos', {});
    const book = await ledger();
    const notTerminated = [...outcomes].filter(([, o]) => o.kind !== 'terminated').map(([id, o]) => `${id}: ${o.kind} ${o.reason}`);
    assert.deepEqual(notTerminated, []);
    assert.equal(outcomes.size, 400);
    for (const record of records) {
      const entry = book.contracts[record.id];
      assert.equal(entry?.applied, 1, `${record.id} applied ${entry?.applied}`);
      assert.equal(entry.after_confirmed, 0, `${record.id} sent after confirmation`);
    }
    assert.equal(book.totals.applied, 400);
    assert.equal(book.totals.after_confirmed, 0);
    const sends = [...outcomes.values()].reduce((sum, o) => sum + o.terminateSends + o.querySends, 0);
    assert.ok(Object.values(chaos.counts).reduce((a, b) => a + b, 0) > 0, 'chaos injected no fault');
    t.diagnostic(`${crypto}: 400 contracts, 16 in flight, ${seconds.toFixed(2)} s, ${sends} requests (${book.totals.terminate_requests} terminate, ${book.totals.queries} query), faults ${JSON.stringify(chaos.counts)}`);
  });
}

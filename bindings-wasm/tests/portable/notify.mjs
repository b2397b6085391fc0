// The notification recipes against the sandbox (any runtime that can listen on loopback): every
// product family's termination → typed event → ack, user-initiated terminations, a failed first
// delivery retried, the `duplicate` fault processed once, and each forged or broken notification
// nacked with its error class and the retry processed. `notify` is the server under test:
// { url, use(client), processed: [], errors: [], failNext(n) }.
import assert from 'node:assert/strict';
import { controlOf, until } from './sandbox-control.mjs';

const camel = (id) => id.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

/** API terminations: operation → the event and what identifies the contract and the mode in it. */
const FAMILIES = [
  ['terminate_papay_contract', 'ENTRUST.TERMINATE', (r, p) => r.out_contract_code === p.out_contract_code && r.plan_id === p.plan_id && r.contract_terminate_info.contract_termination_mode === 'MCH_API_TERMINATE'],
  ['terminate_papay_partner_contract', 'ENTRUST.TERMINATE', (r, p) => r.out_contract_code === p.out_contract_code && r.sub_mchid === p.sub_mchid && r.contract_terminate_info.contract_termination_mode === 'MCH_API_TERMINATE'],
  ['terminate_papay_insurance_contract', 'INSURANCE_ENTRUST.TERMINATE', (r, p) => r.out_contract_code === p.out_contract_code && r.contract_terminate_info.contract_termination_mode === 'MCH_API_TERMINATE'],
  ['terminate_combine_papay_contract', 'ECOMMERCE_ENTRUST.TERMINATE', (r, p) => r.out_contract_code === p.out_contract_code && r.contract_termination_mode === 'MCH_API_TERMINATE'],
  ['terminate_credit_repayment_contract', 'CREDIT_REPAYMENT.TERMINATE_CONTRACT', (r, p) => r.out_contract_code === p.out_contract_code && r.contract_terminated_mode === 'TERMINATION_MODE_BY_MERCHANT'],
  ['terminate_global_papay_contract', 'PAPAY.TERMINATE', (r, p) => r.contract_id === p.contract_id && r.contract_termination_mode === 'MERCHANT'],
  ['terminate_edu_papay_contract', 'ENTRUST.RELEASE', (r, p) => r.contract_information.contract_id === p.contract_id],
  ['terminate_eduschoolpay_contract', 'PAYSCORE.USER_CLOSE_SERVICE', (r, p) => r.contract_id === p.contract_id],
  ['terminate_payscore_permission_by_authorization_code', 'PAYSCORE.USER_CLOSE_SERVICE', (r, p) => r.authorization_code === p.authorization_code && r.service_id === p.service_id],
  ['terminate_facepay_user_contract', 'FACEPAY.USER_STATE_CHANGE', (r, p) => r.user_id === p.user_id && r.organization_id === p.organization_id],
  ['close_transfer_authorization', 'MCHTRANSFER.AUTHORIZATION.CLOSED', (r, p) => r.out_authorization_no === p.out_authorization_no && r.close_info.close_reason === 'CLOSE_VIA_MCH_API'],
  ['revoke_webizpay_employee', 'WEBIZPAY.REVOKED', (r, p) => r.sub_mchid === p.sub_mchid && r.reason === '企业发起'],
];

/** Terminations by the user or customer service (POST /sandbox/contracts/terminate). */
const USER = [
  ['papay:12535:wxwtdk20200910100001', 'USER_TERMINATE', 'ENTRUST.TERMINATE', (r) => r.out_contract_code === 'wxwtdk20200910100001' && r.contract_terminate_info.contract_termination_mode === 'USER_TERMINATE'],
  ['credit_repayment:100001257', 'CUSTOMER_SERVICE_TERMINATE', 'CREDIT_REPAYMENT.TERMINATE_CONTRACT', (r) => r.out_contract_code === '100001257' && r.contract_terminated_mode === 'TERMINATION_MODE_BY_CUSTOMER_SERVICE'],
  ['global_papay:203009101000000000000002', 'USER_TERMINATE', 'PAPAY.TERMINATE', (r) => r.contract_id === '203009101000000000000002' && r.contract_termination_mode === 'USER'],
  ['transfer_authorization:plfk2020042014', 'USER_TERMINATE', 'MCHTRANSFER.AUTHORIZATION.CLOSED', (r) => r.out_authorization_no === 'plfk2020042014' && r.close_info.close_reason === 'USER_CLOSE'],
];

/** Notification faults → the error class of the first (nacked) delivery. */
export const NOTIFY_FAULTS = [
  ['probe', 'SignatureProbeError'],
  ['tampered_ciphertext', 'DecryptionError'],
  ['wrong_key', 'DecryptionError'],
  ['skew', 'ClockSkewError'],
  ['reserialized', 'SignatureError'],
  ['bad_signature', 'SignatureError'],
  ['unknown_serial', 'UnknownSerialError'],
];

export function notifyCases(wt, { sandboxUrl, plan, files, crypto, notify, label }) {
  const control = controlOf(sandboxUrl);
  const m = plan.merchant;
  const cases = [];
  const add = (name, fn) => cases.push({ name: `[${label}] ${name}`, fn });
  const step = (op) => plan.terminations.find((t) => t.operation === op);

  /** Fresh sandbox and receiver; the client (public key, plus the platform certificate and the APIv3 key). */
  async function setup() {
    await control('POST', '/sandbox/reset');
    notify.processed.length = 0;
    notify.errors.length = 0;
    const { merchants } = await control('GET', '/sandbox/merchants');
    const client = await wt.Client.create({
      mchid: m.mchid,
      serialNo: m.serial_no,
      privateKey: files[m.private_key],
      wechatpayPublicKeyId: m.wechatpay_public_key_id,
      wechatpayPublicKey: files[m.wechatpay_public_key],
      platformCertificates: m.platform_certificates.map((p) => files[p]),
      apiv3Key: merchants.find((x) => x.mchid === m.mchid).apiv3_key,
      baseUrl: sandboxUrl,
      globalBaseUrl: sandboxUrl,
      crypto,
    });
    notify.use(client);
    await control('POST', `/sandbox/merchants/${m.mchid}/notify-url`, { notify_url: notify.url });
    return client;
  }

  async function terminate(client, op) {
    const s = step(op);
    const req = await client[camel(op)](s.params);
    const result = await client.parse(req, await fetch(req.url, { ...req, signal: AbortSignal.timeout(10000) }));
    assert.equal(result.status, s.status);
    return s.params;
  }

  /** The round's deliveries once the notification is delivered (and every POST of it logged). */
  async function delivered(posts) {
    return until('the delivery', async () => {
      const log = await control('GET', '/sandbox/notifications');
      const done = log.notifications.length === 1 && log.notifications[0].state === 'delivered' && log.deliveries.length >= posts;
      return done && notify.processed.length >= 1 && log;
    });
  }

  const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

  for (const [op, event, check] of FAMILIES) {
    add(`${op}: the notification arrives typed, is acked and processed once`, async () => {
      const client = await setup();
      const params = await terminate(client, op);
      const log = await delivered(1);
      await settle();
      assert.deepEqual(log.deliveries.map((d) => d.status), [200]);
      assert.equal(notify.processed.length, 1);
      const [n] = notify.processed;
      assert.equal(n.id, log.notifications[0].id);
      assert.equal(n.event_type, event);
      assert.ok(wt.isEvent(n, event));
      assert.ok(check(n.resource, params), JSON.stringify(n.resource));
      assert.deepEqual(notify.errors.map(String), []);
    });
  }
  for (const [contract, mode, event, check] of USER) {
    add(`${contract} terminated by ${mode}: the notification carries the mode`, async () => {
      await setup();
      await control('POST', '/sandbox/contracts/terminate', { contract, mode });
      const log = await delivered(1);
      assert.deepEqual(log.deliveries.map((d) => d.status), [200]);
      const [n] = notify.processed;
      assert.equal(n.event_type, event);
      assert.ok(check(n.resource), JSON.stringify(n.resource));
    });
  }
  add('a failed first delivery (the server answered 503) is retried and processed once', async () => {
    const client = await setup();
    notify.failNext(1);
    await terminate(client, 'terminate_papay_contract');
    const log = await delivered(2);
    await settle();
    assert.deepEqual(log.deliveries.map((d) => d.status), [503, 200]);
    assert.equal(notify.processed.length, 1);
  });
  add('the `duplicate` fault: both deliveries acked, processed once', async () => {
    const client = await setup();
    await control('POST', '/sandbox/notify-faults', { fault: 'duplicate', count: 1 });
    await terminate(client, 'terminate_papay_contract');
    const log = await delivered(2);
    await settle();
    assert.deepEqual(log.deliveries.map((d) => d.status), [200, 200]);
    assert.equal(log.deliveries[0].notification_id, log.deliveries[1].notification_id);
    assert.equal(notify.processed.length, 1);
  });
  for (const [fault, errorClass] of NOTIFY_FAULTS) {
    add(`the \`${fault}\` fault: ${errorClass}, nacked; the genuine retry processed`, async () => {
      const client = await setup();
      await control('POST', '/sandbox/notify-faults', { fault, count: 1 });
      await terminate(client, 'terminate_papay_contract');
      const log = await delivered(2);
      await settle();
      assert.deepEqual(log.deliveries.map((d) => [d.fault, d.status]), [[fault, 500], [null, 200]]);
      assert.equal(notify.errors.length, 1, notify.errors.map(String).join(', '));
      assert.equal(notify.errors[0].constructor, wt[errorClass], String(notify.errors[0]));
      assert.equal(notify.processed.length, 1);
      assert.equal(notify.processed[0].resource.out_contract_code, step('terminate_papay_contract').params.out_contract_code);
    });
  }
  return cases;
}

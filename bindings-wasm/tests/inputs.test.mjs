// Bad input gets a clear, typed error and nothing else happens.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as wt from 'wxpay-terminate';
import { VECTORS, options } from './vector-runner.mjs';

const CLIENTS = JSON.parse(readFileSync(join(VECTORS, 'clients.json'), 'utf8'));
const PAPAY = { plan_id: 12535, out_contract_code: 'wxwtdk20200910100000', contract_termination_remark: '用户解约' };

for (const crypto of ['node', 'webcrypto', 'wasm']) {
  test(`[${crypto}] bad params name their field`, async () => {
    const client = await wt.Client.create(options(CLIENTS.doc_pubkey, crypto));
    const cases = [
      [{ plan_id: '12535' }, 'plan_id'],
      [{ plan_id: -1 }, 'plan_id'],
      [{ plan_id: 1.5 }, 'plan_id'],
      [{ plan_id: true }, 'plan_id'],
      [{ out_contract_code: new TextEncoder().encode('x') }, 'out_contract_code'],
      // Values JSON cannot carry, at the top or deeper inside a field.
      [{ plan_id: 12535n }, 'plan_id'],
      [{ out_contract_code: () => 'x' }, 'out_contract_code'],
      [{ out_contract_code: { nested: [1n] } }, 'out_contract_code'],
      [{ out_contract_code: 'a'.repeat(33) }, 'out_contract_code'],
      [{ contract_termination_remark: '解'.repeat(257) }, 'contract_termination_remark'],
      [{ contract_termination_remark: '用户😀' }, 'contract_termination_remark'],
      [{ contract_termination_remark: undefined }, 'contract_termination_remark'],
      [{ contract_termination_remak: 'typo' }, 'contract_termination_remak'],
    ];
    for (const [change, field] of cases) {
      await assert.rejects(client.terminatePapayContract({ ...PAPAY, ...change }), (e) => {
        assert.ok(e instanceof wt.InvalidInputError, `${field}: ${e}`);
        assert.equal(e.field, field);
        return true;
      });
    }
    for (const [opts, field] of [[{ timestamp: -1 }, 'timestamp'], [{ timestamp: 1.5 }, 'timestamp'], [{ nonce: 'has space' }, 'nonce'], [{ nonce: '' }, 'nonce']]) {
      await assert.rejects(client.terminatePapayContract(PAPAY, opts), (e) => e instanceof wt.InvalidInputError && e.field === field);
    }
  });

  test(`[${crypto}] bad keys and options are typed errors`, async () => {
    const base = options(CLIENTS.doc_pubkey, crypto);
    await assert.rejects(wt.Client.create({ ...base, privateKey: 42 }), (e) => e instanceof wt.InvalidInputError && e.field === 'privateKey');
    await assert.rejects(wt.Client.create({ ...base, platformCertificates: 'not a list' }), (e) => e instanceof wt.InvalidInputError && e.field === 'platformCertificates');
    await assert.rejects(wt.Client.create({ ...base, privateKey: 'not a key' }), wt.InvalidKeyError);
    await assert.rejects(wt.Client.create({ ...base, privateKey: readFileSync(join(VECTORS, 'keys', 'rsa1024_pkcs8.pem'), 'utf8') }), wt.InvalidKeyError);
    await assert.rejects(wt.Client.create({ ...base, baseUrl: 'api.mch.weixin.qq.com' }), (e) => e instanceof wt.InvalidInputError && e.field === 'baseUrl');
    await assert.rejects(wt.Client.create({ ...base, unknownOption: 1 }), (e) => e instanceof wt.InvalidInputError && e.field === 'unknownOption');
    // Keys as bytes, as the core's KeyMaterial takes them.
    const bytes = (text) => new TextEncoder().encode(text);
    const asBytes = await wt.Client.create({ ...base, privateKey: bytes(base.privateKey), wechatpayPublicKey: bytes(base.wechatpayPublicKey), apiv3Key: bytes(base.apiv3Key) });
    assert.deepEqual(asBytes.verificationSerials, [base.wechatpayPublicKeyId]);
    await asBytes.terminatePapayContract(PAPAY);
  });

  test(`[${crypto}] parse refuses decoded text and bad statuses`, async () => {
    const client = await wt.Client.create(options(CLIENTS.doc_pubkey, crypto));
    await assert.rejects(client.parse('terminate_papay_contract', { status: 200, headers: {}, body: '{}' }), (e) => e instanceof wt.InvalidInputError && e.field === 'body');
    await assert.rejects(client.parse('terminate_papay_contract', { status: 'x', headers: {}, body: new Uint8Array() }), (e) => e instanceof wt.InvalidInputError && e.field === 'status');
    await assert.rejects(client.parse('terminate_papay_contract', { status: 204, headers: {}, body: new Uint8Array() }), wt.UnsignedResponseError);
    // HTTP and fetch forbid NUL in header names and values; the core takes headers NUL-separated,
    // so one inside a value would otherwise forge a header (the first case splits evenly).
    const nul = (e) => e instanceof wt.InvalidInputError && e.field === 'headers' && !e.message.includes('evil');
    await assert.rejects(client.parse('terminate_papay_contract', { status: 200, headers: [['Wechatpay-Nonce', 'evil\0Wechatpay-Serial\0X']], body: new Uint8Array() }), nul);
    await assert.rejects(client.parse('terminate_papay_contract', { status: 200, headers: { 'evil\0name': 'v' }, body: new Uint8Array() }), nul);
    await assert.rejects(client.parseNotification([['Wechatpay-Nonce', 'evil\0']], new TextEncoder().encode('{}')), nul);
  });

  test(`[${crypto}] a client without a private key signs only through unsigned`, async () => {
    const { privateKey, ...rest } = options(CLIENTS.doc_pubkey, crypto);
    const client = await wt.Client.create(rest);
    await assert.rejects(client.terminatePapayContract(PAPAY), wt.InvalidKeyError);
    const unsigned = client.unsigned.terminatePapayContract(PAPAY, { timestamp: 1, nonce: 'n' });
    assert.ok(new TextDecoder().decode(unsigned.stringToSign).startsWith('POST\n/v3/papay/'));
    assert.throws(() => unsigned.complete('%%%'), (e) => e instanceof wt.InvalidInputError && e.field === 'signature');
  });
}

test('every RSA path signs the same bytes; Node picks node:crypto by default', async () => {
  const auto = await wt.Client.create(options(CLIENTS.migration, 'auto'));
  assert.equal(auto.crypto, 'node');
  const built = [];
  for (const crypto of ['node', 'webcrypto', 'wasm']) {
    const client = await wt.Client.create(options(CLIENTS.migration, crypto));
    assert.equal(client.crypto, crypto);
    built.push(await client.terminateEduPapayContract({ contract_id: '204009101000000000000001' }, { timestamp: 1700000000, nonce: 'N1' }));
  }
  assert.deepEqual(built[0], built[1]);
  assert.deepEqual(built[1], built[2]);
  assert.ok(Object.isFrozen(built[0]) && Object.isFrozen(built[0].headers));
  await assert.rejects(wt.Client.create({ ...options(CLIENTS.migration, 'wasm'), crypto: 'quantum' }), (e) => e instanceof wt.InvalidInputError && e.field === 'crypto');
});

// Platform certificates: the download request, a verified download handed to another client,
// which then verifies responses signed by the new certificate on its own crypto path.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as wt from 'wxpay-terminate';
import { VECTORS, options } from './vector-runner.mjs';

const CLIENTS = JSON.parse(readFileSync(join(VECTORS, 'clients.json'), 'utf8'));
const vector = (name) => JSON.parse(readFileSync(join(VECTORS, 'cases', `${name}.json`), 'utf8'));
const parts = (r) => ({ status: r.status, headers: r.headers, body: new TextEncoder().encode(r.body) });
const DOWNLOAD = vector('certificates/signed_by_trusted_cert_a');
const CERT_B = vector('response/cert_b_on_migration_client');

for (const crypto of ['node', 'webcrypto', 'wasm']) {
  test(`[${crypto}] a downloaded certificate set makes a new signer's responses verify`, async () => {
    const downloader = await wt.Client.create(options(CLIENTS[DOWNLOAD.client], crypto));
    const set = await downloader.parseCertificates(parts(DOWNLOAD.response), { now: DOWNLOAD.now });
    assert.deepEqual(JSON.parse(JSON.stringify(set)), DOWNLOAD.expect.ok);
    assert.ok(Object.isFrozen(set.certificates[0]));

    const client = await wt.Client.create(options(CLIENTS[CERT_B.client], crypto));
    const serial = CERT_B.response.headers.find(([n]) => n === 'Wechatpay-Serial')[1];
    await assert.rejects(client.parse(CERT_B.operation, parts(CERT_B.response), { now: CERT_B.now }), (e) => {
      assert.ok(e instanceof wt.UnknownSerialError);
      assert.equal(e.serial, serial);
      return true;
    });
    assert.equal(client.certificatesRefreshDue({ now: CERT_B.now }), true);
    client.updateCertificates(set, { now: CERT_B.now });
    assert.equal(client.certificatesRefreshDue({ now: CERT_B.now }), false);
    assert.equal(client.certificatesRefreshDue({ now: CERT_B.now + 12 * 3600 }), true);
    assert.deepEqual(new Set(client.certificates.map(([s]) => s)), new Set(set.certificates.map((c) => c.serial_no)));
    assert.ok(client.verificationSerials.includes(serial));
    const parsed = await client.parse(CERT_B.operation, parts(CERT_B.response), { now: CERT_B.now });
    assert.equal(parsed.status, CERT_B.response.status);
  });

  test(`[${crypto}] the download request, signed and unsigned; a bad host or set is an input error`, async () => {
    const client = await wt.Client.create(options(CLIENTS.go_platform, crypto));
    const stamp = { timestamp: 1700000000, nonce: 'N1' };
    const signed = await client.certificatesRequest('api', stamp);
    assert.equal(signed.method, 'GET');
    assert.equal(signed.url, 'https://api2.mch.weixin.qq.com/v3/certificates?algorithm_type=RSA');
    assert.equal(signed.body, undefined);
    const unsigned = client.unsigned.certificatesRequest('global', stamp);
    assert.equal(new TextDecoder().decode(unsigned.stringToSign), 'GET\n/v3/global/certificates\n1700000000\nN1\n\n');
    await assert.rejects(client.certificatesRequest('apihk', stamp), (e) => e instanceof wt.InvalidInputError && e.field === 'host');
    assert.throws(() => client.updateCertificates({ certificates: 'x' }), (e) => e instanceof wt.InvalidInputError && e.field === 'certificates');
  });
}

// Error classes: one per core kind under WxpayError, real Errors, never thrown strings, built
// from the core's error record (camelCased) with the core's message.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as wt from 'wxpay-terminate';
import { VECTORS, options } from './vector-runner.mjs';

const CLIENTS = JSON.parse(readFileSync(join(VECTORS, 'clients.json'), 'utf8'));
const MESSAGES = JSON.parse(readFileSync(join(VECTORS, 'messages.json'), 'utf8'));
const vector = (name) => JSON.parse(readFileSync(join(VECTORS, 'cases', `${name}.json`), 'utf8'));

test('a dedicated class exists for every core error kind, named by its static kind', () => {
  assert.deepEqual(Object.keys(wt.ERROR_CLASSES), [...wt.ERROR_KINDS]);
  for (const kind of wt.ERROR_KINDS) {
    const Class = wt.ERROR_CLASSES[kind];
    assert.notEqual(Class, wt.WxpayError, `no class for ${kind}`);
    assert.equal(Class.kind, kind);
    assert.ok(Class.prototype instanceof wt.WxpayError, kind);
    assert.ok(Class.prototype instanceof Error, kind);
    assert.equal(wt[Class.name], Class, `${Class.name} is exported`);
  }
  assert.ok(wt.ERROR_KINDS.includes('decryption') && wt.ERROR_KINDS.includes('internal'));
  assert.equal(wt.ERROR_CLASSES.decryption, wt.DecryptionError);
  assert.equal(wt.ERROR_CLASSES.internal, wt.InternalError);
  assert.ok(wt.SignatureProbeError.prototype instanceof wt.SignatureError);
  for (const C of [wt.UnsignedResponseError, wt.SignatureError, wt.UnknownSerialError, wt.ClockSkewError]) {
    assert.ok(C.prototype instanceof wt.ResponseVerificationError);
  }
});

test('the bridge stays internal: no native, fromNative or wasm handles in the public entry', () => {
  for (const name of ['native', 'fromNative', 'makeApi', 'NativeClient', 'errorRecord']) assert.equal(name in wt, false, name);
});

test('an API error carries the record under camelCase names, detail parsed, message the core\'s', async () => {
  const c = vector('response/error_400_param_error');
  const client = await wt.Client.create(options(CLIENTS[c.client], 'wasm'));
  const body = new TextEncoder().encode(c.response.body);
  const e = await client.parse(c.operation, { status: c.response.status, headers: c.response.headers, body }, { now: c.now }).then(
    () => assert.fail('accepted'),
    (err) => err,
  );
  assert.equal(e.name, 'ApiError');
  assert.equal(e.kind, 'api');
  assert.equal(e.message, MESSAGES['response/error_400_param_error']);
  assert.equal(e.status, 400);
  assert.equal(e.code, 'PARAM_ERROR');
  assert.equal(e.apiMessage, '参数错误');
  assert.equal(e.requestId, c.expect.error.request_id);
  assert.equal(e.retryable, false);
  assert.equal(e.field, null);
  assert.deepEqual(e.detail, c.expect.error.detail);
  for (const snake of ['api_message', 'request_id', '__wxpayError']) assert.equal(snake in e, false, snake);
  assert.ok(e.stack.includes('ApiError'));
  assert.ok(wt.isWxpayError(e));
});

test('every error has the whole record, even one the JS layer finds itself', async () => {
  const client = await wt.Client.create(options(CLIENTS.doc_pubkey, 'wasm'));
  const fromCore = await client.terminatePapayContract({ plan_id: 'x' }).catch((e) => e);
  const fromJs = await client.parse('terminate_papay_contract', { status: 200, headers: {}, body: '{}' }).catch((e) => e);
  for (const e of [fromCore, fromJs]) {
    assert.ok(e instanceof wt.InvalidInputError, String(e));
    for (const key of ['kind', 'message', 'field', 'serial', 'status', 'code', 'apiMessage', 'detail', 'requestId', 'retryable']) assert.ok(key in e, key);
    assert.equal(e.status, null);
    assert.equal(e.retryable, false);
  }
  assert.equal(fromCore.field, 'plan_id');
  assert.equal(fromJs.field, 'body');
});

test('option errors name the option as the caller spelt it', async () => {
  const base = options(CLIENTS.doc_pubkey, 'wasm');
  const cases = [
    [{ baseUrl: 'api.mch.weixin.qq.com' }, 'baseUrl', wt.InvalidInputError],
    [{ unknownOption: 1 }, 'unknownOption', wt.InvalidInputError],
    [{ wechatpayPublicKeyId: 'NOT_AN_ID' }, 'wechatpayPublicKeyId', wt.InvalidInputError],
    [{ apiv3Key: 'short' }, 'apiv3Key', wt.InvalidKeyError],
    [{ mchid: 12 }, 'mchid', wt.InvalidInputError],
    [{ base_url: 'https://x' }, 'base_url', wt.InvalidInputError],
  ];
  for (const crypto of ['node', 'webcrypto', 'wasm']) {
    for (const [change, field, Class] of cases) {
      await assert.rejects(wt.Client.create({ ...base, crypto, ...change }), (e) => {
        assert.ok(e instanceof Class, `${JSON.stringify(change)}: ${e}`);
        assert.equal(e.field, field, JSON.stringify(change));
        return true;
      });
    }
  }
});

test('isWxpayError works across copies of the package (brand, not class)', () => {
  class Foreign extends Error {}
  const copy = new Foreign('x');
  Object.defineProperty(copy, Symbol.for('wxpay-terminate.error'), { value: true });
  assert.equal(wt.isWxpayError(copy), true);
  assert.equal(wt.isWxpayError(new Error('x')), false);
  assert.equal(wt.isWxpayError('string'), false);
  assert.equal(wt.isWxpayError(null), false);
});

test('the classes can be built directly and keep their kind', () => {
  const e = new wt.DecryptionError('m', { field: null });
  assert.equal(e.kind, 'decryption');
  assert.equal(e.name, 'DecryptionError');
  assert.equal(e.message, 'm');
  assert.ok(wt.isWxpayError(e));
  assert.equal(new wt.WxpayError('x').kind, 'wxpay');
});

test('records convert generically: an unknown kind gets WxpayError, a new field its camelCase name', async () => {
  const { createRequire } = await import('node:module');
  const { dirname } = await import('node:path');
  const { pathToFileURL } = await import('node:url');
  const dir = dirname(createRequire(import.meta.url).resolve('wxpay-terminate/package.json'));
  // The bridge as a newer core could shape it: the same JS layer on a stub.
  const { makeApi } = await import(pathToFileURL(join(dir, 'js/client.js')).href);
  const record = { __wxpayError: true, kind: 'from_the_future', message: 'm', field: 'some_option', status: null, retryable: false, brand_new_field: 7, detail: '{"a":[1]}' };
  const api = makeApi({
    catalogJson: () => JSON.stringify({ operations: [], events: [], definitions: {} }),
    errorKinds: () => ['invalid_input'],
    optionNames: () => ['some_option'],
    errorRecord: (kind, message, field) => ({ __wxpayError: true, kind, message, field: field ?? null }),
    notificationNack: () => {
      throw record;
    },
  });
  assert.throws(() => api.notificationNack('x'), (e) => {
    assert.equal(e.constructor, wt.WxpayError);
    assert.ok(wt.isWxpayError(e));
    assert.equal(e.kind, 'from_the_future');
    assert.equal(e.message, 'm');
    assert.equal(e.field, 'someOption');
    assert.equal(e.brandNewField, 7);
    assert.deepEqual(e.detail, { a: [1] });
    return true;
  });
});

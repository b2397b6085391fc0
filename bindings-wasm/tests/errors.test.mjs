// Error classes: one per core kind under WxpayError, real Errors, never thrown strings.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as wt from 'wxpay-terminate';

test('a class exists for every core error kind', () => {
  assert.deepEqual(Object.keys(wt.ERROR_CLASSES).sort(), [...wt.ERROR_KINDS].sort());
  for (const kind of wt.ERROR_KINDS) {
    const Class = wt.ERROR_CLASSES[kind];
    assert.ok(Class.prototype instanceof wt.WxpayError, kind);
    assert.ok(Class.prototype instanceof Error, kind);
  }
  assert.ok(wt.SignatureProbeError.prototype instanceof wt.SignatureError);
  for (const C of [wt.UnsignedResponseError, wt.SignatureError, wt.UnknownSerialError, wt.ClockSkewError]) {
    assert.ok(C.prototype instanceof wt.ResponseVerificationError);
  }
});

test('errors carry name, kind and the API fields', () => {
  const e = wt.fromNative({ __wxpayError: true, kind: 'api', message: 'HTTP 429 RATELIMIT_EXCEEDED', status: 429, code: 'RATELIMIT_EXCEEDED', apiMessage: '频率超限', detail: null, requestId: '08AB', retryable: true });
  assert.equal(e.name, 'ApiError');
  assert.equal(e.kind, 'api');
  assert.deepEqual([e.status, e.code, e.apiMessage, e.requestId, e.retryable], [429, 'RATELIMIT_EXCEEDED', '频率超限', '08AB', true]);
  assert.ok(e.stack.includes('ApiError'));
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

test('an unknown kind from a newer core still yields a WxpayError', () => {
  const e = wt.fromNative({ __wxpayError: true, kind: 'from_the_future', message: 'm' });
  assert.ok(e instanceof wt.WxpayError);
  assert.equal(e.kind, 'from_the_future');
});

// Error classes of wxpay-terminate. Every error the package throws is a WxpayError.
// `isWxpayError` works across copies of the package (it checks a registered symbol, not the class).
//
// Each class names the core error kind it stands for in `static kind`; the kind → class table
// (ERROR_CLASSES) is built from the core's list of kinds by client.js, and the errors are built
// there from the core's error record. Nothing in this file lists the record's fields.

const BRAND = Symbol.for('wxpay-terminate.error');

/**
 * Base class of every error this package throws. Carries the core's error record, camelCased:
 * `kind`, `field`, `serial`, `status`, `code`, `apiMessage`, `detail` (parsed JSON), `requestId`,
 * `retryable`; `message` is the core's message.
 */
export class WxpayError extends Error {
  static kind = 'wxpay';
  constructor(message, fields = {}) {
    super(message);
    this.name = new.target.name;
    this.kind = new.target.kind;
    Object.assign(this, fields);
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** A parameter, nonce, timestamp or option is missing or malformed; nothing was signed. */
export class InvalidInputError extends WxpayError {
  static kind = 'invalid_input';
}
/** A key or certificate cannot be used (not PEM, not RSA, under 2048 bits, an APIv3 key not 32 bytes), or none is configured. */
export class InvalidKeyError extends WxpayError {
  static kind = 'invalid_key';
}
/** The response or notification must not be trusted; base of the five classes below. */
export class ResponseVerificationError extends WxpayError {
  static kind = 'response_verification';
}
/** A 2xx response or a notification without the Wechatpay-* signature headers. */
export class UnsignedResponseError extends ResponseVerificationError {
  static kind = 'unsigned_response';
}
/** The signature does not verify over the raw body. */
export class SignatureError extends ResponseVerificationError {
  static kind = 'invalid_signature';
}
/** A WECHATPAY/SIGNTEST/ probe: WeChat Pay checking that you verify. */
export class SignatureProbeError extends SignatureError {
  static kind = 'signature_probe';
}
/** Wechatpay-Serial names no key of this client. */
export class UnknownSerialError extends ResponseVerificationError {
  static kind = 'unknown_serial';
}
/** Wechatpay-Timestamp is more than 300 s from the host clock. */
export class ClockSkewError extends ResponseVerificationError {
  static kind = 'clock_skew';
}
/** WeChat Pay answered with a non-2xx status. */
export class ApiError extends WxpayError {
  static kind = 'api';
}
/** A verified body does not match the documented result or notification shape. */
export class DecodeError extends WxpayError {
  static kind = 'decode';
}
/** A verified notification does not decrypt with the APIv3 key (wrong key, altered ciphertext). */
export class DecryptionError extends WxpayError {
  static kind = 'decryption';
}
/** A failure inside the library (a bug, or the host's random number generator). */
export class InternalError extends WxpayError {
  static kind = 'internal';
}

/** True for any error thrown by any copy of wxpay-terminate. */
export function isWxpayError(value) {
  return typeof value === 'object' && value !== null && value[BRAND] === true;
}

// Error classes of wxpay-terminate. Every error the package throws is a WxpayError.
// `isWxpayError` works across copies of the package (it checks a registered symbol, not the class).

const BRAND = Symbol.for('wxpay-terminate.error');

export class WxpayError extends Error {
  constructor(message, { kind = 'wxpay', field = null, status = null, code = null, apiMessage = null, detail = null, requestId = null, retryable = false } = {}) {
    super(message);
    this.name = new.target.name;
    this.kind = kind;
    /** For input errors: the parameter or setting at fault. */
    this.field = field;
    /** For API errors: HTTP status, WeChat Pay's code, message and detail, and the Request-ID. */
    this.status = status;
    this.code = code;
    this.apiMessage = apiMessage;
    this.detail = detail;
    this.requestId = requestId;
    /** Whether the same request may succeed if sent again (5xx and 429). */
    this.retryable = retryable;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** A parameter, nonce, timestamp or option is missing or malformed; nothing was signed. */
export class InvalidInputError extends WxpayError {}
/** A key or certificate cannot be used (not PEM, not RSA, under 2048 bits), or no private key. */
export class InvalidKeyError extends WxpayError {}
/** The response must not be trusted; base of the five classes below. */
export class ResponseVerificationError extends WxpayError {}
/** A 2xx without the Wechatpay-* signature headers. */
export class UnsignedResponseError extends ResponseVerificationError {}
/** The response signature does not verify over the raw body. */
export class SignatureError extends ResponseVerificationError {}
/** A WECHATPAY/SIGNTEST/ probe: WeChat Pay checking that you verify. */
export class SignatureProbeError extends SignatureError {}
/** Wechatpay-Serial names no key of this client. */
export class UnknownSerialError extends ResponseVerificationError {}
/** Wechatpay-Timestamp is more than 300 s from the host clock. */
export class ClockSkewError extends ResponseVerificationError {}
/** WeChat Pay answered with a non-2xx status. */
export class ApiError extends WxpayError {}
/** A verified success body does not match the documented result. */
export class DecodeError extends WxpayError {}

/** The class for each core error kind. */
export const ERROR_CLASSES = Object.freeze({
  invalid_input: InvalidInputError,
  invalid_key: InvalidKeyError,
  unsigned_response: UnsignedResponseError,
  invalid_signature: SignatureError,
  signature_probe: SignatureProbeError,
  unknown_serial: UnknownSerialError,
  clock_skew: ClockSkewError,
  api: ApiError,
  decode: DecodeError,
});

/** True for any error thrown by any copy of wxpay-terminate. */
export function isWxpayError(value) {
  return typeof value === 'object' && value !== null && value[BRAND] === true;
}

/** The native layer's error record → the class of its kind (a newer kind gets the base class). */
export function fromNative(e) {
  const Class = ERROR_CLASSES[e.kind] ?? WxpayError;
  return new Class(e.message, {
    kind: e.kind,
    field: e.field ?? null,
    status: e.status ?? null,
    code: e.code ?? null,
    apiMessage: e.apiMessage ?? null,
    detail: e.detail ?? null,
    requestId: e.requestId ?? null,
    retryable: e.retryable ?? false,
  });
}

/** Runs a native call, turning its error records into WxpayError instances. */
export function native(call) {
  try {
    return call();
  } catch (e) {
    if (e && e.__wxpayError) throw fromNative(e);
    // A WASM trap is a bug in this package; still never let a non-Error escape.
    throw e instanceof Error ? e : new WxpayError(`unexpected failure: ${String(e)}`);
  }
}

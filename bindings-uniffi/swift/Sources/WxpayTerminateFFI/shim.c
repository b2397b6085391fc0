// Intentionally empty: the symbols live in libwxpay_terminate_uniffi.

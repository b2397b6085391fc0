"""pytest settings for tests/sandbox (the markers; the fixtures live in the test files)."""


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "wheel: uses the wxpay-sandbox wheel built and installed into a fresh virtualenv once per "
                   "session (needs PyPI for `build`, `setuptools` and `cryptography`); deselect with -m 'not wheel'")
    config.addinivalue_line(
        "markers", "peers: runs the peer SDKs wechatpayv3 (PyPI) and wechatpay-axios-plugin (npm) against the "
                   "sandbox, installed once under target/sandbox-peers/ (needs PyPI and npm the first time); "
                   "deselect with -m 'not peers'")

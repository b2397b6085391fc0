"""pytest settings for tests/sandbox (the markers; the fixtures live in the test files)."""


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "wheel: uses the wxpay-sandbox wheel built and installed into a fresh virtualenv once per "
                   "session (needs PyPI for `build`, `setuptools` and `cryptography`); deselect with -m 'not wheel'")

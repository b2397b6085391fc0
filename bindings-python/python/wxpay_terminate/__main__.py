"""``python -m wxpay_terminate certificates|check …`` (see ``--help``)."""
from ._cli import main

if __name__ == "__main__":
    raise SystemExit(main())

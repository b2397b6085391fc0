"""`python -m wxpay_sandbox …` is `wxpay-sandbox …`."""

import sys

from .cli import main

sys.exit(main())

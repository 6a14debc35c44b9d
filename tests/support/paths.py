"""Where things are: the repository and its test fixtures (tests/fixtures/README.rst)."""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
UTILS = REPO / "_utils"
FIXTURES = REPO / "tests" / "fixtures"
CINDER_SAMPLE = FIXTURES / "cinder" / "cinder-29.0.0.conf.sample"
FUEL_FIXTURES = FIXTURES / "fuel"
DATERA_FIXTURES = FIXTURES / "datera"

# The formula's modules import its _utils by name (``import datera_api``), as a minion does
# where Salt put the synced _utils dir on sys.path: the same for the tests that load them.
if str(UTILS) not in sys.path:
    sys.path.append(str(UTILS))

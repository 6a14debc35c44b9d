"""Where things are: the repository and its test fixtures (tests/fixtures/README.rst)."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
CINDER_SAMPLE = FIXTURES / "cinder" / "cinder-29.0.0.conf.sample"
FUEL_FIXTURES = FIXTURES / "fuel"
DATERA_FIXTURES = FIXTURES / "datera"

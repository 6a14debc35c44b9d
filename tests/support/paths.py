"""Where things are: the repository, the shared reference material, the fixtures."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(__file__).resolve().parents[3] / "shared"
CINDER_SAMPLE = SHARED / "fixtures" / "cinder" / "cinder-29.0.0.conf.sample"
FUEL_FIXTURES = SHARED / "fixtures" / "fuel"

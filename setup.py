"""The package's version is the formula's: the ``version:`` line of ``FORMULA``, the one
place it is written (SPM, the package and the docs all read it from there)."""

import re
from pathlib import Path

from setuptools import setup

FORMULA = Path(__file__).resolve().with_name("FORMULA")
VERSION = re.search(r"^version:\s*(\S+)\s*$", FORMULA.read_text(), re.M).group(1)

setup(version=VERSION)

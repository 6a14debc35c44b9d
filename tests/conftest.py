"""Session-wide settings for pytest-salt-factories."""

import os

import pytest

from tests.support.paths import REPO


@pytest.fixture(scope="session")
def salt_factories_config():
    return {
        "code_dir": str(REPO),
        "inject_sitecustomize": False,
        "start_timeout": 120 if os.environ.get("CI") else 90,
    }


pytest_plugins = ["tests.support.fixtures"]

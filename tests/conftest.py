"""Session-wide settings for pytest-salt-factories."""

import logging
import os

import pytest
from salt._logging.handlers import DeferredStreamHandler

from tests.support.paths import REPO


@pytest.fixture(scope="session")
def salt_factories_config():
    return {
        "code_dir": str(REPO),
        "inject_sitecustomize": False,
        "start_timeout": 120 if os.environ.get("CI") else 90,
    }


@pytest.fixture(scope="session", autouse=True)
def salt_console_handler_muted():
    """Salt's import-time console handler queues the warnings of the in-process tests and
    writes them when the interpreter exits, to the stream pytest captured and has closed by
    then ("--- Logging error ---" by the thousand). pytest shows each test's log itself."""
    for handler in logging.root.handlers:
        if isinstance(handler, DeferredStreamHandler):
            handler.setLevel(logging.CRITICAL + 1)


pytest_plugins = ["tests.support.fixtures"]

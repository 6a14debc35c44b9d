import logging

import pytest

from tests.support.loaders import load


@pytest.fixture
def ini():
    return load("utils", "datera_ini")


@pytest.fixture
def error_records(caplog):
    """``error_records("logger.prefix")``: the records at ERROR or above that loggers under the
    prefix logged in this test."""
    return lambda prefix: [
        r for r in caplog.records if r.name.startswith(prefix) and r.levelno >= logging.ERROR
    ]

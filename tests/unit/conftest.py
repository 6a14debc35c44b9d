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


@pytest.fixture(autouse=True)
def no_secret_in_logs(request, caplog):
    """No message logged during a test holds a secret: its module's ``SECRETS``, and the
    session keys and tokens the Datera simulator issued where the test uses ``issued``."""
    caplog.set_level(logging.DEBUG)
    yield
    secrets = list(getattr(request.module, "SECRETS", ()))
    if "issued" in request.fixturenames:
        secrets += list(request.getfixturevalue("issued"))
    logged = "\n".join(record.getMessage() for record in caplog.get_records("call"))
    leaked = [secret for secret in secrets if secret in logged]
    assert not leaked, f"{len(leaked)} secret(s) in the log"

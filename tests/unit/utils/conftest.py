import logging

import pytest


@pytest.fixture(autouse=True)
def no_secret_in_logs(request, caplog):
    """No message logged during a test holds one of its module's ``SECRETS``."""
    caplog.set_level(logging.DEBUG)
    yield
    logged = "\n".join(record.getMessage() for record in caplog.get_records("call"))
    for secret in request.module.SECRETS:
        assert secret not in logged

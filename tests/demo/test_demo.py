"""
The demo: master + 3 simulated controllers, deploy end to end, print what an operator
would look at. Run it with ``bash tests/demo.sh`` (it is also part of the test suite).
"""

import pytest

from tests.support import demo

pytestmark = pytest.mark.integration


def test_demo(cloud, salt_run_cli, capsys):
    report = demo.run(cloud, salt_run_cli)
    with capsys.disabled():
        print("\n" + report)
    assert report.count("[datera]") == len(cloud.controllers)
    assert "none (idempotent)" in report
    assert demo.PASSWORD not in report

"""The test report (``docs/junit_report.py``): grouped by layer and module as the tests
describe themselves, every outcome shown, and valid reStructuredText."""

import importlib.util
import subprocess
import sys

import docutils.core
import docutils.utils

from tests.support.paths import REPO

_spec = importlib.util.spec_from_file_location("junit_report", REPO / "docs" / "junit_report.py")
report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report)

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="0" failures="1" skipped="1" tests="4" time="12.5"
 timestamp="2026-11-29T21:00:00.000000" hostname="ci">
<testcase classname="tests.unit.test_net"
 name="test_a_forked_child_exiting_does_not_release_the_block" time="0.2"/>
<testcase classname="tests.unit.test_leak_scan" name="test_clean_logs_give_no_hits" time="0.1">
 <failure message="assert [] == ['x']">details</failure></testcase>
<testcase classname="tests.functional.test_release" name="test_x[a-b]" time="3.0">
 <skipped type="pytest.skip" message="no git">skipped</skipped></testcase>
<testcase classname="tests.functional.test_release" name="test_x[c]" time="1.0"/>
</testsuite></testsuites>
"""


def test_grouped_by_layer_and_module_from_the_tests_themselves(tmp_path):
    (tmp_path / "junit.xml").write_text(JUNIT)
    text = report.render(tmp_path / "junit.xml")
    assert text.index("\nUnit\n----\n") < text.index("\nFunctional\n----------\n")
    net_doc = "Each run's loopback block is its own: claimed exclusively, kept while the run lives."
    heading = "``tests/unit/test_net.py``"
    assert f"{heading}\n{'~' * len(heading)}\n\n{net_doc}" in text
    assert "A forked child exiting does not release the block" in text
    assert "   * - X [a-b]\n\n       no git\n     - skipped" in text
    assert "   * - X [c]\n     - passed" in text
    assert "   - ``tests/unit/test_leak_scan.py::test_clean_logs_give_no_hits``" in text
    assert "**failed**" in text and "assert [] == ['x']" in text
    functional = report.layers()["functional"]
    assert functional.startswith("Functional tier: Salt's real loader")
    assert report.layers()["integration"] == "starts a real salt-master and salt-minions"


def test_the_report_is_valid_restructuredtext(tmp_path):
    (tmp_path / "junit.xml").write_text(JUNIT)
    text = report.render(tmp_path / "junit.xml").replace(":doc:", "")
    settings = {"report_level": docutils.utils.Reporter.WARNING_LEVEL, "halt_level": 2}
    docutils.core.publish_doctree(text, settings_overrides=settings)  # raises on a warning


def test_no_junit_file_is_a_clear_error(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(REPO / "docs" / "junit_report.py"), str(tmp_path / "none.xml"),
         str(tmp_path / "report.rst")], capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "none.xml: no such file; the test report was not written" in proc.stderr
    assert not (tmp_path / "report.rst").exists()

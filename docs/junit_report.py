"""
Turn pytest's JUnit XML into the test report (reStructuredText), never by hand::

    python docs/junit_report.py artifacts/junit.xml docs/_generated/test-report.rst \
        [--bench artifacts/bench.json]

The report holds: the summary of the run (total, passed, failed, skipped, errors, time), one
table per test module with each case's outcome and duration, the versions of what the suite
ran with, and the fault table of issue 6 -- each fault, the tests that cover it and their
outcome in this run. A fault whose tests are not in the XML shows "not run", never "passed".
Without a JUnit file the page says that no run was recorded (the docs still build).

The mappings below (faults, the original plugin's test cases, the day-2 procedures, the
behaviour the guides describe) name
tests by pytest node id; ``docs/conf.py`` checks that every one exists in ``tests/`` and
fails the docs build (a Sphinx warning) when one was renamed or removed.
"""

import argparse
import json
import platform
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import OrderedDict
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import case_catalog  # noqa: E402  (the sibling module, found through the line above)

REPO = case_catalog.REPO

UT = "tests/unit/"
FT = "tests/functional/"
IT = "tests/integration/"
FI = "tests/fidelity/"
LV = "tests/live/test_live_ha.py::"
PACEMAKER_ONE_PRIMITIVE = (
    IT + "test_pacemaker.py::test_one_primitive_created_by_the_primary_restarts_only_on_change"
)
RESTART_WHERE_RUNNING = FT + "test_datera_cib.py::test_restart_only_where_running"
CONTROLLER_JOINS_LEAVES = (
    IT + "test_controllers.py::test_a_controller_joins_then_the_primary_leaves"
)
RESOURCE_OUTLIVES_BACKEND = (
    IT + "test_pacemaker.py::test_the_resource_outlives_the_last_backend_until_pillar_removes_it"
)

# Issue 6: each numbered fault -> the tests that prove the formula survives it.
FAULTS = (
    (
        "1",
        "Datera API down (connection refused) during pre-flight: deploy stops, nothing changed",
        (
            UT + "test_datera_module.py::test_connection_refused_names_host_and_port",
            UT + "test_datera_state.py::test_unreachable_cluster_fails_naming_it",
            IT + "test_datera_api.py::test_unreachable_vip_stops_the_deploy_naming_it",
        ),
    ),
    (
        "2",
        "API slow (answer after the timeout): bounded wait, clear error",
        (
            UT + "test_datera_module.py::test_timeout_is_bounded",
            IT + "test_datera_api.py::test_slow_api_is_a_bounded_wait_and_a_clear_error",
        ),
    ),
    (
        "3",
        "503 storm shorter than datera_503_timeout succeeds; longer fails clearly; "
        "attempts bounded",
        (
            UT + "test_datera_module.py::test_503_storm_shorter_than_the_timeout_succeeds",
            UT + "test_datera_module.py::test_503_storm_longer_than_the_timeout_fails_bounded",
            UT + "test_datera_module.py::test_initializing_500_is_retried_like_503",
            UT + "test_datera_module.py::test_503_on_login_is_retried",
            FI + "test_cinder_driver.py::test_driver_rides_out_503s_and_expired_keys",
            IT + "test_datera_api.py::test_503_storm_shorter_than_the_timeout_is_ridden_out",
            IT + "test_datera_api.py::test_503_storm_longer_than_the_timeout_fails_bounded",
        ),
    ),
    (
        "4",
        "Token expires mid-run (401): one re-login, the run completes",
        (
            UT + "test_datera_module.py::test_expired_key_mid_run_logs_in_again_once",
            UT + "test_datera_module.py::test_401_after_a_fresh_login_is_not_retried_again",
            FI + "test_dfs_sdk.py::test_sdk_recovers_from_expired_keys_and_503",
            IT + "test_datera_api.py::test_session_key_expiring_mid_run_logs_in_again_once",
        ),
    ),
    (
        "5",
        "Wrong TLS certificate / CA: refused with a clear message unless verify: false "
        "(then a warning)",
        (
            UT + "test_datera_module.py::test_unknown_certificate_is_refused",
            UT + "test_datera_module.py::test_pinned_fingerprint_mismatch_is_refused",
            UT + "test_datera_module.py::test_verify_false_warns",
            UT + "test_datera_state.py::test_verify_false_is_in_the_comment",
            IT + "test_datera_api.py::test_certificate_from_another_ca_is_refused",
            IT + "test_datera_api.py::test_verification_turned_off_works_and_warns",
        ),
    ),
    (
        "6",
        "Primary controller fails: the other controllers are not touched",
        (IT + "test_deploy.py::test_failing_primary_leaves_the_others_untouched",),
    ),
    (
        "7",
        "One non-primary controller fails: the others complete, the failure names the minion",
        (IT + "test_deploy.py::test_one_failing_controller_does_not_stop_the_others",),
    ),
    (
        "8",
        "salt-call killed (SIGKILL) mid-write of cinder.conf: old or new file, never partial",
        (FT + "test_conf_faults.py::test_sigkill_mid_write_leaves_old_or_new_never_partial",),
    ),
    (
        "9",
        "Two salt-call runs at once on one controller (shown to overlap): no lost update",
        (FT + "test_conf_faults.py::test_two_runs_at_once_lose_no_update",),
    ),
    (
        "10",
        "CIB changed by someone else between read and write: detected, re-read, applied once",
        (
            FT + "test_datera_cib.py::test_concurrent_change_is_reread_not_overwritten",
            FT + "test_datera_cib.py::test_concurrent_identical_create_is_left_alone",
            FT + "test_datera_cib.py::test_cib_moving_twice_fails_without_writing",
        ),
    ),
    (
        "11",
        "Disk full (a real full tmpfs) / directory unwritable for the minion's user: clear "
        "failure, old file intact",
        (
            FT + "test_conf_faults.py::test_disk_full_fails_clearly_and_keeps_the_old_file",
            FT + "test_conf_faults.py::"
            "test_unwritable_directory_fails_clearly_and_keeps_the_old_file",
            UT + "test_datera_conf.py::test_missing_directory_is_clear",
        ),
    ),
    (
        "12",
        "Malformed cinder.conf (no [DEFAULT], duplicates, CRLF, no final newline, "
        "non-UTF-8 comments): handled, never mangled",
        (
            FT + "test_conf_faults.py::test_odd_files_are_handled_without_mangling",
            UT + "test_datera_conf.py::test_crlf_no_final_newline_and_latin1_comment",
        ),
    ),
    (
        "B",
        "Bad input: any file and valid keys keep unmanaged bytes, apply twice == once; "
        "injection refused (hypothesis)",
        (
            UT + "test_datera_ini_properties.py::"
            "test_unmanaged_lines_are_kept_in_order_and_second_apply_is_a_no_op",
            UT + "test_datera_ini_properties.py::test_values_that_would_inject_lines_are_refused",
            UT + "test_datera_pillar.py::test_malformed_pillar_names_the_key",
            FT + "test_malformed_pillar_changes_nothing.py::"
            "test_malformed_pillar_fails_and_changes_nothing",
        ),
    ),
    (
        "S",
        "Secrets: no test password, Datera session key or Keystone token in any master/minion "
        "debug log or job return (checked at the end of every session that started a master: "
        "a hit is an error of the run); files 0640",
        (
            UT + "test_leak_scan.py::test_passwords_session_keys_and_tokens_are_found",
            UT + "test_datera_conf.py::test_write_is_atomic_with_mode_and_backup",
            UT + "test_datera_module.py::test_secrets_echoed_by_the_server_are_masked",
        ),
    ),
)

# The original Fuel plugin's test plan (deploy, add/remove controller, add/remove compute,
# uninstall) -> this project's tests. An empty tuple: no automated test yet.
PLUGIN_CASES = (
    (
        "P1",
        "Deploy an environment with the Datera backend",
        (
            IT + "test_deploy.py::test_deploy_writes_same_stanza_everywhere_and_converges",
            IT + "test_fuel.py::test_deploy_from_fuel_node_files",
            PACEMAKER_ONE_PRIMITIVE,
            FI + "test_cinder_driver.py::test_driver_lifecycle_against_the_simulator",
        ),
    ),
    (
        "P2",
        "Add a controller to a deployed environment",
        (CONTROLLER_JOINS_LEAVES, RESTART_WHERE_RUNNING),
    ),
    (
        "P3",
        "Remove a controller (also the primary) from a deployed environment",
        (CONTROLLER_JOINS_LEAVES,),
    ),
    (
        "P4",
        "Add a compute node",
        (
            IT + "test_compute.py::test_computes_get_an_initiator_name_after_the_controllers",
            IT + "test_compute.py::test_what_salt_is_asked_to_do_on_a_real_compute",
        ),
    ),
    ("P5", "Remove a compute node", ()),
    (
        "P6",
        "Uninstall: remove the Datera backend from a deployed environment",
        (
            RESOURCE_OUTLIVES_BACKEND,
            IT + "test_backends_converge.py::test_add_change_remove_backends",
            IT + "test_fuel.py::test_plugin_disabled_gives_no_backend",
        ),
    ),
)

# Issue 9: the day-2 procedures of the deployment guide -> their tests.
DAY2 = (
    (
        "D1",
        "Add a controller (its cinder.conf written, cinder-volume not restarted)",
        (CONTROLLER_JOINS_LEAVES, RESTART_WHERE_RUNNING),
    ),
    (
        "D2",
        "Remove a controller (and move the primary role)",
        (CONTROLLER_JOINS_LEAVES,),
    ),
    (
        "D3",
        "Computes: iSCSI prerequisites after the controllers",
        (
            IT + "test_compute.py::test_computes_get_an_initiator_name_after_the_controllers",
            IT + "test_compute.py::test_what_salt_is_asked_to_do_on_a_real_compute",
        ),
    ),
    (
        "D4",
        "Drift report (salt-run datera.drift)",
        (IT + "test_drift.py::test_drift_report_names_controller_and_keys",),
    ),
    (
        "D5",
        "Credential rotation: verified first, one restart through Pacemaker, where "
        "cinder-volume runs",
        (
            IT + "test_datera_api.py::test_credential_rotation_is_verified_before_it_is_written",
            IT + "test_datera_api.py::test_wrong_password_stops_the_deploy_before_any_change",
            PACEMAKER_ONE_PRIMITIVE,
            RESTART_WHERE_RUNNING,
        ),
    ),
    (
        "D6",
        "Change or remove a backend",
        (IT + "test_backends_converge.py::test_add_change_remove_backends",),
    ),
    (
        "D7",
        "Uninstall: backends marked absent take their volume types with them; the Pacemaker "
        "resource stays until pacemaker:ensure is absent",
        (
            RESOURCE_OUTLIVES_BACKEND,
            UT + "test_datera_pillar.py::test_absent_backend_keeps_its_volume_types_to_remove_them",
            UT + "test_datera_pillar.py::test_pacemaker_resource_ensure",
            IT + "test_backends_converge.py::test_add_change_remove_backends",
        ),
    ),
)

# What the deployment guide and the user guide promise about the formula's behaviour -> the
# tests that prove it. An empty tuple: no automated test yet.
BEHAVIOUR = (
    (
        "G1",
        "The orchestration's pre-flight (pillar, driver, every backend's cluster) runs on every "
        "controller before any change; if it fails anywhere, nothing changes anywhere",
        (
            IT + "test_datera_api.py::test_wrong_password_stops_the_deploy_before_any_change",
            IT + "test_datera_api.py::test_unreachable_vip_stops_the_deploy_naming_it",
            IT + "test_deploy.py::test_invalid_pillar_stops_before_any_change",
            IT + "test_deploy.py::test_driver_that_cannot_load_stops_the_deploy_before_any_change",
        ),
    ),
    (
        "G2",
        "A by-hand state.apply datera (or datera.config) writes no cinder.conf when the "
        "pre-flight fails (config requires datera.preflight)",
        (IT + "test_datera_api.py::test_by_hand_apply_writes_nothing_when_the_preflight_fails",),
    ),
    (
        "G3",
        "cinder-volume is restarted through Pacemaker only by the controller where it runs, "
        "only when that controller's cinder.conf changed: at most once per orchestration",
        (
            RESTART_WHERE_RUNNING,
            PACEMAKER_ONE_PRIMITIVE,
            CONTROLLER_JOINS_LEAVES,
            IT + "test_datera_api.py::test_credential_rotation_is_verified_before_it_is_written",
        ),
    ),
    (
        "G4",
        "The Pacemaker resource outlives the last Datera backend (pacemaker:ensure auto); "
        "only pacemaker:ensure: absent removes it",
        (RESOURCE_OUTLIVES_BACKEND, UT + "test_datera_pillar.py::test_pacemaker_resource_ensure"),
    ),
    (
        "G5",
        "The volume types of a backend marked absent are removed with it",
        (
            UT + "test_datera_pillar.py::test_absent_backend_keeps_its_volume_types_to_remove_them",
            IT + "test_volume_types.py::test_volume_types_created_once_from_the_primary",
        ),
    ),
    (
        "G6",
        "The formula's OCF agent: valid meta-data, start/monitor/stop of the whole process "
        "tree, ocf-tester with no process left, monitor checks the pid is this cinder-volume, "
        "an unknown user is not installed, validate-all names what is missing",
        (
            FT + "test_ocf_agent.py::test_meta_data_is_valid_xml_with_the_actions",
            FT + "test_ocf_agent.py::test_start_monitor_stop",
            FT + "test_ocf_agent.py::test_ocf_tester_passes_and_leaves_no_process",
            FT + "test_ocf_agent.py::test_a_killed_main_process_is_seen_and_its_worker_stopped",
            FT + "test_ocf_agent.py::test_monitor_rejects_a_pid_that_is_not_this_cinder_volume",
            FT + "test_ocf_agent.py::test_a_user_that_does_not_exist_is_not_installed",
            FT + "test_ocf_agent.py::test_validate_names_what_is_missing",
        ),
    ),
    (
        "G7",
        "With an OCF agent in pillar, datera.pacemaker.agent installs the script on every "
        "controller, and the primary's resource uses it",
        (IT + "test_pacemaker.py::test_ocf_agent_is_installed_on_every_controller_and_used",),
    ),
    (
        "G8",
        "A malformed pillar fails every state naming the key; cinder.conf and the CIB stay "
        "byte-identical",
        (
            FT + "test_malformed_pillar_changes_nothing.py::"
            "test_malformed_pillar_fails_and_changes_nothing",
            UT + "test_datera_pillar.py::test_malformed_pillar_names_the_key",
            IT + "test_deploy.py::test_invalid_pillar_stops_before_any_change",
        ),
    ),
)

LIVE_HA = (
    (
        "L1",
        "Deployed by the orchestration, Pacemaker runs exactly one real cinder-volume with the "
        "formula's cinder.conf: heartbeats rise, the driver initializes",
        (LV + "test_deploy_runs_one_real_cinder_volume",),
    ),
    (
        "L2",
        "kill -9 of cinder-volume: back within one monitor interval plus start time",
        (LV + "test_kill_9_of_cinder_volume_is_restarted_by_the_monitor",),
    ),
    (
        "L3",
        "A crashed node: cinder-volume comes up on a survivor with the same cinder@datera row",
        (LV + "test_node_crash_fails_over_with_the_same_service_row",),
    ),
    (
        "L4",
        "Credential rotation: one restart through Pacemaker, the new credentials in use",
        (LV + "test_credential_rotation_restarts_once_through_pacemaker",),
    ),
    (
        "L5",
        "Standby of the active node: a clean move; a re-run changes and restarts nothing",
        (
            LV + "test_standby_of_the_active_node_moves_it_cleanly",
            LV + "test_a_rerun_changes_nothing_and_restarts_nothing",
        ),
    ),
    (
        "L6",
        "salt-run datera.status shows where it runs, each controller's state and cinder.conf",
        (
            LV + "test_status_shows_where_it_runs_and_that_every_conf_matches",
            "tests/unit/test_status_runner.py::test_a_healthy_cluster_one_row_per_controller",
        ),
    ),
)

MAPPINGS = (
    ("faults", FAULTS),
    ("original plugin cases", PLUGIN_CASES),
    ("day-2 procedures", DAY2),
    ("behaviour the guides describe", BEHAVIOUR),
    ("live HA, never two instances (issue 15)", LIVE_HA),
)

NOT_RUN = "not run"


# --- reading the JUnit XML ------------------------------------------------------------------


def _module_path(classname):
    """``tests.integration.test_deploy[.TestX]`` -> (``tests/integration/test_deploy.py``,
    ``TestX::`` or ``''``)."""
    parts = classname.split(".")
    for cut in range(len(parts), 0, -1):
        candidate = "/".join(parts[:cut]) + ".py"
        if (REPO / candidate).is_file():
            rest = "::".join(parts[cut:])
            return candidate, (rest + "::") if rest else ""
    return "/".join(parts) + ".py", ""


def read_junit(path):
    """Every ``<testcase>``: dicts with nodeid, module, name, outcome, seconds, message."""
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    cases, meta = [], {}
    for suite in suites:
        meta.setdefault("timestamp", suite.get("timestamp"))
        meta.setdefault("hostname", suite.get("hostname"))
        meta["time"] = meta.get("time", 0.0) + float(suite.get("time") or 0)
        for case in suite.iter("testcase"):
            module, klass = _module_path(case.get("classname") or "")
            name = case.get("name") or ""
            outcome, message = "passed", ""
            for tag in ("failure", "error", "skipped"):
                element = case.find(tag)
                if element is not None:
                    outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[tag]
                    message = element.get("message") or ""
                    break
            cases.append(
                {
                    "nodeid": f"{module}::{klass}{name}",
                    "function": f"{module}::{klass}{name.split('[')[0]}",
                    "module": module,
                    "name": klass + name,
                    "outcome": outcome,
                    "seconds": float(case.get("time") or 0),
                    "message": message,
                }
            )
    return cases, meta


def summary(cases):
    counts = OrderedDict((k, 0) for k in ("passed", "failed", "error", "skipped"))
    for case in cases:
        counts[case["outcome"]] += 1
    return counts


def outcome_of(nodeids, cases):
    """Outcome of a group of tests in this run: ``not run`` if any of them is missing."""
    by_function = {}
    for case in cases:
        by_function.setdefault(case["function"], []).append(case["outcome"])
    missing = [n for n in nodeids if n not in by_function]
    if not nodeids:
        return "no test yet"
    if missing:
        return NOT_RUN
    outcomes = [o for n in nodeids for o in by_function[n]]
    if "failed" in outcomes or "error" in outcomes:
        return "FAILED"
    if all(o == "skipped" for o in outcomes):
        return "skipped"
    if "skipped" in outcomes:
        return "passed (some cases skipped)"
    return "passed"


# --- environment ----------------------------------------------------------------------------


def _run(args):
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=REPO)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (proc.stdout or proc.stderr or "").strip()
    return text.splitlines()[0].strip() if proc.returncode == 0 and text else None


def _dist_version(python, dist):
    return _run([python, "-c", f"import importlib.metadata as m; print(m.version({dist!r}))"])


def environment():
    """``[(component, version or 'not found')]`` of the machine that built the report."""
    venv = REPO / ".venv" / "bin" / "python"
    cinder = REPO / ".venv-cinder" / "bin" / "python"
    python = str(venv) if venv.exists() else sys.executable
    rows = [
        ("Operating system", platform.platform()),
        (
            "Python (test virtualenv)",
            _run([python, "-c", "import sys; print(sys.version.split()[0])"]),
        ),
        ("Salt", _dist_version(python, "salt")),
        ("pytest", _dist_version(python, "pytest")),
        ("pytest-salt-factories", _dist_version(python, "pytest-salt-factories")),
        ("hypothesis", _dist_version(python, "hypothesis")),
        ("dfs-sdk (fidelity client)", _dist_version(python, "dfs-sdk")),
        ("Pacemaker (crm_simulate --version)", _run(["crm_simulate", "--version"])),
    ]
    if cinder.exists():
        rows.append(("cinder (.venv-cinder)", _dist_version(str(cinder), "cinder")))
        rows.append(("dfs-sdk (.venv-cinder)", _dist_version(str(cinder), "dfs-sdk")))
    else:
        rows.append(("cinder (.venv-cinder)", None))
    return [(name, version or "not found") for name, version in rows]


# --- rendering ------------------------------------------------------------------------------

esc = case_catalog.rst_escape
table = case_catalog.list_table


def _title(text, char):
    return [text, char * len(text), ""]


def _outcome_cell(outcome):
    return f"**{outcome}**" if outcome in ("failed", "error", "FAILED") else outcome


def _catalog_ids():
    try:
        return {
            c.nodeid: c.id for c in case_catalog.cases_by_nodeid(case_catalog.collect()).values()
        }
    except (OSError, SyntaxError):
        return {}


def mapping_table(rows, cases=None, ids=None):
    """Rows ``(key, description, nodeids)`` as a table; with ``cases``, an outcome column."""
    ids = ids if ids is not None else _catalog_ids()
    headers = ["#", "Case", "Covered by"] + (["Result of this run"] if cases is not None else [])
    body = []
    for key, text, nodeids in rows:
        lines = []
        for nodeid in nodeids:
            line = f"| ``{ids.get(nodeid, '?')}`` ``{nodeid.split('::')[-1]}``"
            if cases is not None:
                line += f": {outcome_of((nodeid,), cases)}"
            lines.append(line)
        tests = "\n".join(lines) or "*no automated test yet*"
        row = [key, esc(text), tests]
        if cases is not None:
            row.append(_outcome_cell(outcome_of(nodeids, cases)))
        body.append(row)
    widths = (5, 35, 45, 15) if cases is not None else (5, 40, 55)
    return table(headers, body, widths)


def render_bench(bench_path):
    """The benchmark's results (``tests/bench/report.py`` writes the JSON): its targets with
    pass/MISS, the machine; any other JSON shape as a generic table."""
    out = _title("Benchmark", "-")
    try:
        data = json.loads(Path(bench_path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return "\n".join(
            out
            + [f"The benchmark file ``{_shown(bench_path)}`` could not be read: {esc(err)}.", ""]
        )
    out += [f"From ``{_shown(bench_path)}``; the full tables are in :doc:`/performance`.", ""]
    if isinstance(data, dict) and isinstance(data.get("targets"), list):
        keys = ("part", "target", "value", "limit", "status", "note")
        rows = [
            [esc(row.get(k, "")) if row.get(k) is not None else "" for k in keys]
            for row in data["targets"]
            if isinstance(row, dict)
        ]
        if rows:
            out.append(table([k.title() for k in keys], rows))
        machine = data.get("machine") or {}
        if isinstance(machine, dict) and machine:
            rows = [(esc(k), esc(v)) for k, v in machine.items() if not isinstance(v, (dict, list))]
            out.append(table(("Machine", "Value"), rows))
        if data.get("missing_parts"):
            out += [
                f"Parts without results: {esc(', '.join(map(str, data['missing_parts'])))}.",
                "",
            ]
        return "\n".join(out)
    if isinstance(data, list) and data and all(isinstance(row, dict) for row in data):
        keys = list(dict.fromkeys(k for row in data for k in row))
        rows = [[esc(row.get(k, "")) for k in keys] for row in data]
        out.append(table([esc(k) for k in keys], rows))
    elif isinstance(data, dict):
        rows = [
            (esc(k), esc(json.dumps(v) if isinstance(v, (dict, list)) else v))
            for k, v in data.items()
        ]
        out.append(table(("Measure", "Value"), rows))
    else:
        out += ["::", "", "   " + json.dumps(data, indent=2).replace("\n", "\n   "), ""]
    return "\n".join(out)


def _shown(path):
    """A path as the reader should see it: relative to the repository when inside it."""
    try:
        return Path(path).resolve().relative_to(REPO).as_posix()
    except ValueError:
        return str(path)


def render(junit_path, bench_path=None):
    head = [".. Generated by docs/junit_report.py from pytest's JUnit XML -- do not edit.", ""]
    if not Path(junit_path).exists():
        body = [
            ".. note::",
            "",
            f"   No test run was recorded: ``{_shown(junit_path)}`` does not exist.",
            "   Run the suite with ``bash tests/run.sh`` (it writes ``artifacts/junit.xml``),",
            "   then build the",
            "   docs again; or run ``python docs/junit_report.py artifacts/junit.xml",
            "   docs/_generated/test-report.rst``.",
            "",
        ]
        body += _title("Faults and the tests that cover them", "-")
        body.append(mapping_table(FAULTS, cases=[]))
        return "\n".join(head + body)

    cases, meta = read_junit(junit_path)
    counts = summary(cases)
    ids = _catalog_ids()
    stamp = meta.get("timestamp") or "unknown"
    try:
        stamp = datetime.fromisoformat(stamp).strftime("%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        pass
    out = head + _title("Summary", "-")
    out.append(
        table(
            ("Run", "Total", "Passed", "Failed", "Skipped", "Errors", "Time (s)"),
            [
                (
                    f"{esc(stamp)} on ``{meta.get('hostname') or '?'}``",
                    len(cases),
                    counts["passed"],
                    counts["failed"],
                    counts["skipped"],
                    counts["error"],
                    f"{meta.get('time', 0.0):.1f}",
                )
            ],
        )
    )
    out.append(f"Source: ``{_shown(junit_path)}``.\n")
    failing = [c for c in cases if c["outcome"] in ("failed", "error")]
    if failing:
        out += [".. warning::", "", "   Failed or errored in this run:", ""]
        out += [f"   - ``{c['nodeid']}``" for c in failing]
        out.append("")

    out += _title("Faults and the tests that cover them", "-")
    out += [
        "The fault list (plus bad input and secrets). A fault shows *passed* only when",
        "every test mapped to it ran and passed in this run; *not run* when one of them is",
        "not in the JUnit file.",
        "",
    ]
    out.append(mapping_table(FAULTS, cases, ids))
    out += _title("Original plugin test cases", "-")
    out.append(mapping_table(PLUGIN_CASES, cases, ids))
    out += _title("Day-2 procedures", "-")
    out.append(mapping_table(DAY2, cases, ids))
    out += _title("Behaviour the guides describe", "-")
    out.append(mapping_table(BEHAVIOUR, cases, ids))
    out += _title("Live HA (issue 15)", "-")
    out.append(mapping_table(LIVE_HA, cases, ids))

    out += _title("Environment", "-")
    out += [
        "Versions on the machine that generated this report (in CI the same machine, right",
        "after the run).",
        "",
    ]
    out.append(table(("Component", "Version"), [(esc(a), esc(b)) for a, b in environment()]))

    if bench_path:
        out.append(render_bench(bench_path))

    out += _title("Test cases by module", "-")
    modules = OrderedDict()
    for case in cases:
        modules.setdefault(case["module"], []).append(case)
    for module, module_cases in modules.items():
        module_counts = summary(module_cases)
        seconds = sum(c["seconds"] for c in module_cases)
        out += _title(f"{module}", "~")
        out.append(
            ", ".join(f"{n} {k}" for k, n in module_counts.items() if n) + f"; {seconds:.1f} s.\n"
        )
        rows = []
        for case in module_cases:
            name = f"``{case['name']}``"
            if case["message"] and case["outcome"] != "passed":
                name += f"\n\n{esc(case['message'][:300])}"
            rows.append(
                (
                    f"``{ids.get(case['function'], '-')}``",
                    name,
                    _outcome_cell(case["outcome"]),
                    f"{case['seconds']:.2f}",
                )
            )
        out.append(table(("ID", "Case", "Outcome", "Seconds"), rows, (14, 56, 15, 15)))
    return "\n".join(out)


def missing_nodeids(modules=None):
    """Mapped node ids that are not test functions of ``tests/``: ``[(mapping, nodeid)]``."""
    known = case_catalog.cases_by_nodeid(modules or case_catalog.collect())
    return [
        (name, nodeid)
        for name, rows in MAPPINGS
        for _, _, nodeids in rows
        for nodeid in nodeids
        if nodeid not in known
    ]


def write(junit_path, output, bench_path=None):
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(junit_path, bench_path), encoding="utf-8")
    return output


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("junit", help="pytest's JUnit XML (pytest --junitxml=...)")
    parser.add_argument("output", help="the RST file to write")
    parser.add_argument("--bench", help="the benchmark's JSON results (tests/bench)")
    args = parser.parse_args(argv)
    print(write(args.junit, args.output, args.bench))
    for mapping, nodeid in missing_nodeids():
        print(f"warning: {mapping}: {nodeid} is not a test in tests/", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

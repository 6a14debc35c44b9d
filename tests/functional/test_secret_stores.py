"""
Secrets where operators keep them: ``san_password`` from GPG-encrypted pillar (Salt's ``gpg``
renderer) and as an ``sdb://`` URI (a YAML-file sdb profile stands in for Vault). A real
``salt-call --local`` writes cinder.conf with the real password; neither the password nor
the encrypted text's clear value appears in its output or its debug log.
"""

import os
import subprocess

import pytest
import yaml

from tests.support.salt_call import Minion

PASSWORD = "Gpg-Sdb-Secret-9"
DEBUG_LOG = {"log_level_logfile": "debug"}


def backend(password):
    return {"san_ip": "192.0.2.10", "san_login": "admin", "san_password": password}


def pillar(password):
    return {"backends": {"datera": backend(password)}}


def written_password(conf):
    return next(
        line.split("=", 1)[1].strip()
        for line in conf.read_text().splitlines()
        if line.startswith("san_password")
    )


def manage(minion, conf):
    rc, state, output = minion.manage(conf)
    log = minion.log.read_text()
    assert "datera_conf" in log  # the debug log covers the run
    assert PASSWORD not in output + log
    return rc, state


def sdb_run(tmp_path, store_content):
    """cinder.conf managed with ``san_password`` given as a URI of a YAML sdb profile that
    holds ``store_content``: ``(exit code, state return, cinder.conf)``."""
    store = tmp_path / "vault-stand-in.yaml"
    store.write_text(yaml.safe_dump(store_content))
    minion = Minion(
        tmp_path / "sdb",
        pillar("sdb://secrets/datera:san_password"),
        config_extra={"secrets": {"driver": "yaml", "files": [str(store)]}, **DEBUG_LOG},
    )
    conf = tmp_path / "cinder.conf"
    conf.write_text("[DEFAULT]\n")
    return (*manage(minion, conf), conf)


def test_sdb_uri(tmp_path):
    rc, state, conf = sdb_run(tmp_path, {"datera": {"san_password": PASSWORD}})
    assert rc == 0 and state["result"] is True, state
    assert written_password(conf) == PASSWORD
    assert "sdb://" not in conf.read_text()


def test_sdb_uri_without_a_value_names_the_key_and_changes_nothing(tmp_path):
    rc, state, conf = sdb_run(tmp_path, {})
    assert rc != 0 and state["result"] is False
    assert (
        "datera:backends:datera:san_password: sdb://secrets/datera:san_password"
        in (state["comment"])
    )
    assert conf.read_text() == "[DEFAULT]\n"


def gpg(home, *args, **kwargs):
    return subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", "--yes", *args],
        check=True,
        capture_output=True,
        text=True,
        **kwargs,
    ).stdout


@pytest.fixture
def gpg_home(tmp_path):
    """A throwaway GPG home; its gpg-agent (started by gpg on first use) ends with the test."""
    home = tmp_path / "gpgkeys"  # the master's gpg_keydir (here the masterless minion's)
    home.mkdir(mode=0o700)
    yield home
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)


def test_gpg_encrypted_pillar(tmp_path, gpg_home):
    home = gpg_home
    gpg(
        home,
        "--passphrase",
        "",
        "--quick-gen-key",
        "salt-master@example.org",
        "default",
        "default",
        "never",
    )
    armored = gpg(home, "--armor", "--trust-model", "always", "--encrypt", "-r",
                  "salt-master@example.org", input=PASSWORD)  # fmt: skip
    assert PASSWORD not in armored
    minion = Minion(tmp_path / "gpg", {}, config_extra={"gpg_keydir": str(home), **DEBUG_LOG})
    block = "\n".join("        " + line for line in armored.strip().splitlines())
    minion.pillar_file.write_text(
        "#!yaml|gpg\n"
        "datera:\n"
        "  backends:\n"
        "    datera:\n"
        "      san_ip: 192.0.2.10\n"
        "      san_login: admin\n"
        "      san_password: |\n"
        f"{block}\n"
    )
    conf = tmp_path / "cinder.conf"
    conf.write_text("[DEFAULT]\n")
    rc, state = manage(minion, conf)
    assert rc == 0 and state["result"] is True, state
    assert written_password(conf) == PASSWORD
    assert os.stat(conf).st_mode & 0o077 == 0o040  # 0640: the group reads, nobody else

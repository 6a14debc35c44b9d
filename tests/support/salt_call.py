"""
Real ``salt-call --local`` runs of the formula, for the fault tests.

A :class:`Minion` is a masterless minion of its own: config, pillar, state tree, cache and
log all under one directory, the formula's modules loaded from the repository (the
config of :func:`tests.support.loaders.masterless_overrides`). Several minions with
different pillars can run at once against one cinder.conf.
"""

import json
import subprocess
import sys
from pathlib import Path

import yaml

from tests.support.loaders import masterless_overrides

SALT_CALL = Path(sys.executable).with_name("salt-call")


class Minion:
    def __init__(self, root, datera, user=None, grains=None, config_extra=None):
        """A minion under ``root`` (created) with pillar ``{"datera": datera}``; ``user``
        is Salt's ``user`` option, for a minion run as someone other than root; ``grains``
        override the detected ones (another OS family, say); ``config_extra``: more options."""
        self.root = Path(root)
        pillar, self.files = self.root / "pillar", self.root / "files"
        for directory in (self.root / "etc", pillar, self.files):
            directory.mkdir(parents=True)
        (pillar / "top.sls").write_text("base:\n  '*':\n    - datera\n")
        self.pillar_file = pillar / "datera.sls"
        self.pillar_file.write_text(yaml.safe_dump({"datera": datera}))
        config = {
            "id": self.root.name,
            "root_dir": str(self.root),
            "file_roots": {"base": [str(self.files)]},
            **masterless_overrides(pillar),
        }
        if user:
            config["user"] = user
        if grains:
            config["grains"] = grains
        config.update(config_extra or {})
        (self.root / "etc" / "minion").write_text(yaml.safe_dump(config))

    @property
    def log(self):
        return self.root / "var" / "log" / "salt" / "minion"

    def argv(self, *args):
        config_dir = self.root / "etc"
        return [str(SALT_CALL), "--local", f"--config-dir={config_dir}", "--out=json", *args]

    def write_sls(self, name, states):
        (self.files / f"{name}.sls").write_text(yaml.safe_dump(states))

    def popen(self, *args, prefix=(), **kwargs):
        """Start ``salt-call`` (after ``prefix``, e.g. a setpriv command line)."""
        return subprocess.Popen(
            [*prefix, *self.argv(*args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            **kwargs,
        )

    def manage(self, conf, prefix=()):
        """``state.single datera_conf.managed name=<conf>`` to the end:
        ``(returncode, the state's return, stdout + stderr)``."""
        proc = self.popen("state.single", "datera_conf.managed", f"name={conf}", prefix=prefix)
        out, err = proc.communicate(timeout=120)
        return proc.returncode, state_returns(out)[0], out + err


def state_returns(stdout):
    """The state returns in a ``salt-call --out=json`` state run's output, in run order."""
    returns = json.loads(stdout)["local"]
    return sorted(returns.values(), key=lambda state: state["__run_num__"])

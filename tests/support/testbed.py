"""
A salt-master and salt-minions as plain processes on this run's loopback address, without
pytest: what the demo runs. The controllers' files, their shared Pacemaker CIB file and the
simulated Datera clusters are a ``Cloud`` (``tests/support/cloud.py``), as in the
integration tests.
"""

import getpass
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import yaml

from tests.support import net
from tests.support.cloud import Cloud, state_tree
from tests.support.paths import REPO

BIN = Path(REPO / ".venv" / "bin")
MAX_ROOT = 40  # a socket path (root + ~60 characters of Salt's own) must fit in 107 bytes


class Testbed:
    """``with Testbed(root, ["ctl1", "ctl2"]) as bed: bed.salt_run("state.orchestrate", ...)``"""

    def __init__(self, root, controllers, primary=None, master_id=None):
        self.root = Path(root).resolve()
        if len(str(self.root)) > MAX_ROOT:  # Salt's unix sockets live under it
            raise ValueError(f"{self.root}: longer than {MAX_ROOT} characters")
        self.root.mkdir(parents=True)
        self.host = net.ip(1)
        self.master_conf = self.root / "master" / "etc"
        self.pillar_root = self.root / "pillar"
        self.cloud = Cloud(self.root, self.pillar_root, controllers, primary or controllers[0])
        self.procs = {}
        self.master_id = master_id  # what the orchestration's output is headed by (<id>_master)

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self, timeout=120):
        self.pillar_root.mkdir(parents=True)
        self.cloud.reset()
        self.cloud.write_pillar({"datera": {"backends": {}}})
        self._write_config(
            self.master_conf / "master",
            root_dir=str(self.root / "master"),
            interface=self.host,
            file_roots={"base": [str(state_tree(self.root / "state-tree"))]},
            pillar_roots={"base": [str(self.pillar_root)]},
            auto_accept=True,
            timeout=60,
            log_file=str(self.root / "master" / "master.log"),
            **({"id": self.master_id} if self.master_id else {}),
        )
        self._spawn("master", "salt-master", self.master_conf)
        for minion_id in self.cloud.controllers:
            self.start_minion(minion_id)
        self.wait_for_minions(self.cloud.controllers, timeout)

    def start_minion(self, minion_id):
        """A salt-minion ``minion_id`` of this master (its config and logs under the root)."""
        etc = self.root / minion_id / "salt"
        self._write_config(
            etc / "minion",
            id=minion_id,
            master=self.host,
            root_dir=str(self.root / minion_id / "root"),
            log_file=str(self.root / minion_id / "minion.log"),
        )
        self._spawn(minion_id, "salt-minion", etc)

    def stop(self, timeout=30):
        """SIGTERM to every daemon at once (minions take seconds to exit), SIGKILL after
        ``timeout``; then the simulated clusters."""
        running = [p for p in self.procs.values() if p.poll() is None]
        for proc in running:
            os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in running:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs.clear()
        self.cloud.clusters.stop()

    def salt(self, *args, timeout=600):
        return self._cli("salt", args, timeout)

    def salt_run(self, *args, timeout=900):
        return self._cli("salt-run", args, timeout)

    def _cli(self, tool, args, timeout):
        """``(exit code, stdout, stderr)`` of a Salt CLI talking to this master."""
        proc = subprocess.run(
            [str(BIN / tool), "-c", str(self.master_conf), *map(str, args)],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return proc.returncode, proc.stdout, proc.stderr

    def _write_config(self, path, **settings):
        path.parent.mkdir(parents=True, exist_ok=True)
        settings.update(user=getpass.getuser(), log_level="quiet", log_level_logfile="info")
        path.write_text(yaml.safe_dump(settings))

    def _spawn(self, name, tool, config_dir):
        with open(self.root / f"{name}.out", "wb") as out:
            self.procs[name] = subprocess.Popen(
                [str(BIN / tool), "-c", str(config_dir)],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_for_minions(self, minions, timeout=120):
        deadline = time.monotonic() + timeout
        wanted = set(minions)
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"{name} exited ({proc.returncode}): see {self.root}/{name}.out"
                    )
            _, out, _ = self.salt("*", "test.ping", "--out=json", "--static", "-t", "10")
            try:
                if wanted <= set(json.loads(out or "{}")):
                    return
            except ValueError:
                pass
            time.sleep(1)
        raise RuntimeError(f"minions {sorted(wanted)} did not answer within {timeout} s")

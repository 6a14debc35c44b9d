"""The real cinder 29.0.0's interpreter (its own virtualenv, made by tests/setup.sh)."""

import json
import os
import subprocess

from tests.support.paths import REPO

PYTHON = os.environ.get("DATERA_CINDER_PYTHON", str(REPO / ".venv-cinder" / "bin" / "python"))


def run_json(script, *args, timeout=300):
    """Run ``script`` with cinder's interpreter; return the JSON its last line prints."""
    assert os.path.exists(PYTHON), (
        f"{PYTHON} is missing: run `bash tests/setup.sh` (it creates .venv-cinder with "
        "cinder[datera]==29.0.0), or point DATERA_CINDER_PYTHON at such an interpreter"
    )
    proc = subprocess.run(
        [PYTHON, "-W", "ignore", str(script), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])

"""
The demo: a salt-master and three controllers on loopback, a simulated Datera cluster (HTTPS,
verified), ``salt-run state.orchestrate datera.deploy``, then what an operator would look at:
each controller's Datera stanza (password masked), where Pacemaker places cinder-volume, and
whether a second run changed anything. ``bash tests/demo.sh`` runs it::

    .venv/bin/python -m tests.support.demo [--wrong-password] [--keep DIR]

Exit status: 0 when the deploy succeeded and the re-run changed nothing, 1 otherwise. The
raw outputs of Salt are kept in files under the work directory, named in the report.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support import net, orchestration, secrets
from tests.support.testbed import Testbed

PASSWORD = secrets.DEMO
CONTROLLERS = ("ctl1", "ctl2", "ctl3")


def pillar(cloud, wrong_password=False):
    backend = cloud.clusters.backend(net.ip(10), PASSWORD, replica_count=3)
    if wrong_password:
        backend["san_password"] = secrets.WRONG
    return {"datera": {"backends": {"datera": backend}}}


def masked_stanza(text):
    """``enabled_backends`` and the ``[datera]`` section, ``san_password`` masked."""
    lines, inside = [], False
    for line in text.splitlines():
        if line.startswith("["):
            inside = line.strip() == "[datera]"
        if inside and line.strip() or line.startswith("enabled_backends"):
            lines.append(re.sub(r"^(san_password\s*=\s*).*", r"\1******", line))
    return lines


def placement(cib_file, nodes, work):
    """Where Pacemaker would run cinder-volume: ``crm_simulate`` on a copy of the CIB file,
    then ``crm_mon`` of the result (the file has no live cluster behind it)."""
    copy, result = work / "cib-copy.xml", work / "cib-simulated.xml"
    shutil.copy(cib_file, copy)
    nodes_up = [arg for node in nodes for arg in ("--node-up", node)]
    subprocess.run(
        [
            "crm_simulate",
            "--simulate",
            "--quorum",
            "1",
            "--xml-file",
            str(copy),
            "--save-output",
            str(result),
            *nodes_up,
        ],  # fmt: skip
        capture_output=True,
        check=True,
    )
    mon = subprocess.run(
        ["crm_mon", "--one-shot", "--inactive"],
        env=dict(os.environ, CIB_file=str(result)),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line for line in mon.splitlines() if "p_cinder-volume" in line or "Online:" in line]


def deploy(bed, work, name):
    """Run the orchestration; ``(ok, summary line, parsed output)``; raw output kept."""
    started = time.monotonic()
    rc, out, err = bed.salt_run("state.orchestrate", "datera.deploy", "--out=json")
    elapsed = time.monotonic() - started
    (work / f"{name}.out").write_text(out + err)
    data = orchestration.decode(out)
    failed = orchestration.failed_steps(data)
    ok = rc == 0 and bool(orchestration.steps(data)) and not failed
    status = "succeeded" if ok else f"FAILED (exit {rc})"
    return ok, f"{status} in {elapsed:.0f} s (output: {work / name}.out)", data


def failure_lines(data):
    """Each failed step with its minions' failed states; steps skipped because an earlier
    one failed, on one line."""
    lines, skipped = [], []
    for step_id in orchestration.failed_steps(data):
        step = orchestration.steps(data)[step_id]
        if str(step.get("comment")).startswith("One or more requisite failed"):
            skipped.append(step_id)
            continue
        lines.append(f"  step {step_id} failed")
        for minion, states in orchestration.minion_states(step).items():
            for state in states.values():
                if state.get("result") is False:
                    comment = " ".join(str(state.get("comment")).split())
                    lines.append(f"    {minion}: {comment[:400]}")
        if not orchestration.minion_states(step):
            lines.append("    " + " ".join(str(step.get("comment")).split())[:400])
    if skipped:
        lines.append("  not run, as an earlier step failed: " + ", ".join(skipped))
    return lines


def run(work, wrong_password=False):
    """Deploy, look, re-run; ``(exit status, report lines)``."""
    out = []
    with Testbed(work / "bed", list(CONTROLLERS)) as bed:
        cloud = bed.cloud
        cloud.write_pillar(pillar(cloud, wrong_password), accept=False)
        out.append(
            f"salt-master and controllers {', '.join(CONTROLLERS)} ({cloud.primary} primary) "
            f"on {bed.host}; Datera cluster (simulated) at https://{net.ip(10)}:7718"
        )
        out.append("\n$ salt-run state.orchestrate datera.deploy")
        ok, summary, data = deploy(bed, work, "deploy")
        out.append("  " + summary)
        if not ok:
            return 1, out + failure_lines(data)
        for minion_id in CONTROLLERS:
            out.append(f"\n{minion_id}: {cloud.conf_file(minion_id)}")
            out += ["  " + line for line in masked_stanza(cloud.conf_file(minion_id).read_text())]
        out.append("\nPacemaker (crm_simulate on the cluster's CIB, then crm_mon):")
        out += ["  " + line.strip() for line in placement(cloud.cib_file, CONTROLLERS, work)]
        out.append("\n$ salt-run state.orchestrate datera.deploy   # again, nothing changed")
        ok, summary, data = deploy(bed, work, "re-run")
        changed = orchestration.configuration_changes(data)
        out.append("  " + summary)
        if not ok:
            return 1, out + failure_lines(data)
        if changed:
            out.append("  NOT idempotent, changed: " + ", ".join(changed))
            return 1, out
        out.append("  changed: nothing (idempotent)")
    return 0, out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.strip().split("\n\n")[0])
    parser.add_argument(
        "--wrong-password", action="store_true", help="give pillar a password the cluster refuses"
    )
    parser.add_argument("--keep", type=Path, help="work directory to keep (default: temporary)")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="datera-demo-"))
    shutil.rmtree(work / "bed", ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    try:
        status, lines = run(work, args.wrong_password)
    except (OSError, RuntimeError, ValueError, subprocess.SubprocessError) as err:
        status, lines = 1, [f"the test bed did not come up: {err}"]
    print("\n".join(lines), flush=True)
    print(f"\ndemo {'passed' if status == 0 else 'FAILED'}; files in {work}")
    return status


if __name__ == "__main__":
    sys.exit(main())

"""
Pacemaker's scheduler on a CIB file (``crm_simulate``): the offline stand-in for a running
cluster in the fast tier. The live tier (tests/live) runs the real thing.

``simulate`` brings nodes up or fails them, lets the scheduler act and saves the resulting
status section; a failed node's resource history is then cleared, as fencing or a reboot
would, so that it can come back clean.
"""

import os
import subprocess
import tempfile

RC_NO_SUCH_OBJECT = 105  # cibadmin: ENXIO, the xpath matched nothing


def _run(args, ok=(0,), cib_file=None):
    env = dict(os.environ, CIB_file=cib_file) if cib_file else None
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    if done.returncode not in ok:
        raise RuntimeError(f"{' '.join(args)}: rc {done.returncode}: {done.stderr.strip()}")
    return done.stdout


def transition_summary(output):
    """The lines of ``crm_simulate``'s *Transition Summary* (``Start p_x ( ctl1 )`` ...)."""
    lines, keep = [], False
    for line in output.splitlines():
        if line.startswith("Transition Summary"):
            keep = True
        elif keep and line and not line.startswith(" "):
            break
        elif keep and line.strip():
            lines.append(line.strip().lstrip("* ").strip())
    return lines


def simulate(cib_file, node_up=(), node_fail=(), quorum=True, save_to=None):
    """Run the scheduler on ``cib_file``; save the result to ``save_to`` (default: the file
    itself, so the offline "cluster" moves on). Returns the transition summary lines."""
    cib_file = str(cib_file)
    save_to = str(save_to or cib_file)
    fd, tmp = tempfile.mkstemp(prefix=".sim-", suffix=".xml", dir=os.path.dirname(save_to))
    os.close(fd)
    args = ["crm_simulate", "--xml-file", cib_file, "--simulate", "--save-output", tmp]
    args += ["--quorum", "true" if quorum else "false"]
    args += [a for node in node_up for a in ("--node-up", node)]
    args += [a for node in node_fail for a in ("--node-fail", node)]
    try:
        out = _run(args)
        for node in node_fail:
            xpath = f"/cib/status/node_state[@uname='{node}']/lrm"
            delete = ["cibadmin", "--delete", "--xpath", xpath]
            _run(delete, ok=(0, RC_NO_SUCH_OBJECT), cib_file=tmp)
        os.replace(tmp, save_to)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return transition_summary(out)

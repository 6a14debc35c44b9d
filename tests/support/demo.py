"""What the demo does: deploy to the simulated controllers and show the result."""

import re
import time

from tests.support import secrets
from tests.support.cloud import Cloud

PASSWORD = secrets.DEMO


def pillar():
    return {
        "datera": {
            "backends": {
                "datera": {
                    "san_ip": "127.0.1.10",
                    "san_login": "admin",
                    "san_password": PASSWORD,
                    "replica_count": 3,
                }
            }
        }
    }


def masked_stanza(text):
    lines, inside = [], False
    for line in text.splitlines():
        if line.startswith("["):
            inside = line == "[datera]"
            if inside:
                lines.append(line)
        elif inside and line.strip():
            lines.append(re.sub(r"^(san_password\s*=\s*).*", r"\1******", line))
    return "\n".join(lines)


def run(cloud: Cloud, salt_run_cli):
    cloud.reset()
    cloud.write_pillar(pillar())
    started = time.monotonic()
    ret = salt_run_cli.run("state.orchestrate", "datera.deploy")
    elapsed = time.monotonic() - started
    out = [f"== salt-run state.orchestrate datera.deploy: exit {ret.returncode}, {elapsed:.1f} s"]
    for minion_id in cloud.controllers:
        text = cloud.conf_file(minion_id).read_text()
        enabled = re.search(r"^enabled_backends\s*=.*$", text, re.M)
        out.append(f"\n== {minion_id}: {cloud.conf_file(minion_id)}")
        out.append(enabled.group(0) if enabled else "(no enabled_backends)")
        out.append(masked_stanza(text))
    before = {m: cloud.conf_file(m).stat().st_mtime_ns for m in cloud.controllers}
    again = salt_run_cli.run("state.orchestrate", "datera.deploy")
    touched = [m for m in cloud.controllers if cloud.conf_file(m).stat().st_mtime_ns != before[m]]
    out.append(
        f"\n== re-run: exit {again.returncode}; cinder.conf rewritten on: "
        + (", ".join(touched) or "none (idempotent)")
    )
    return "\n".join(out)

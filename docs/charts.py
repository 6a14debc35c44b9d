"""
The performance page's charts, drawn at build time (``builder-inited``, see ``conf.py``) from
the benchmark's JSON: ``artifacts/bench.json`` of this run if there is one, else the last
full run kept in ``docs/measured/bench.json``.
"""

import json

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the backend

STEP_LABELS = {
    "datera-deploy-refresh": "refresh + sync",
    "datera-deploy-preflight": "pre-flight",
    "datera-deploy-primary-config": "primary: cinder.conf",
    "datera-deploy-primary": "primary: Pacemaker, volume types",
    "datera-deploy-controllers": "other controllers",
    "datera-deploy-computes": "computes",
}


def _sizes(bench):
    sizes = bench["parts"]["deploy"]["sizes"]
    return [sizes[n] for n in sorted(sizes, key=int)]


def deploy_time(bench, path):
    """Deploy, re-run and the empty-orchestration floor against the number of controllers."""
    sizes = _sizes(bench)
    counts = [s["n"] for s in sizes]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for key, label, style in (
        ("deploy_seconds", "first deploy", "o-"),
        ("rerun_seconds", "re-run (nothing changes)", "s--"),
        ("floor_seconds", "floor: same Salt jobs, empty SLS", "^:"),
    ):
        ax.plot(counts, [s[key] for s in sizes], style, label=label)
    ax.set_xlabel("controllers")
    ax.set_ylabel("wall time (s)")
    ax.set_xticks(counts)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    ax.set_title(f"salt-run state.orchestrate datera.deploy ({bench['machine']['nproc']} CPUs)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def deploy_steps(bench, path):
    """Where a first deploy's time goes, step by step, for each number of controllers."""
    sizes = _sizes(bench)
    fig, ax = plt.subplots(figsize=(7, 4.2))
    left = [0.0] * len(sizes)
    labels = [str(s["n"]) for s in sizes]
    for step, label in STEP_LABELS.items():
        seconds = [dict(s["deploy_steps_seconds"]).get(step, 0.0) for s in sizes]
        ax.barh(labels, seconds, left=left, label=label)
        left = [a + b for a, b in zip(left, seconds, strict=True)]
    ax.set_xlabel("seconds (Salt's duration of each orchestration step)")
    ax.set_ylabel("controllers")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(frameon=False, fontsize="small", ncol=3, loc="upper center",
              bbox_to_anchor=(0.5, -0.2))  # fmt: skip
    ax.set_title("First deploy, step by step")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write(bench_json, out_dir):
    """Draw every chart into ``out_dir``; return the files written."""
    bench = json.loads(bench_json.read_text())
    out_dir.mkdir(exist_ok=True)
    written = []
    for name, draw in (("deploy-time.svg", deploy_time), ("deploy-steps.svg", deploy_steps)):
        draw(bench, out_dir / name)
        written.append(out_dir / name)
    return written

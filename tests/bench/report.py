"""
Assemble the benchmark parts (``$BENCH_OUT/*.json``) into the printed table,
``artifacts/bench.json`` and the RST fragment ``docs/_generated/bench.rst``.

    python -m tests.bench.report --parts artifacts/bench-parts --json artifacts/bench.json \
        --rst docs/_generated/bench.rst [--quick] [--total-seconds S]
"""

import argparse
import datetime
import json
import os
import platform
import sys
from pathlib import Path

from tests.bench import harness as h
from tests.bench import scale_model

TARGETS = {
    "t3_over_t1": 2.0,
    "t12_over_t3": 1.6,
    "logins_per_controller": 1,
    "conf_apply_seconds": 0.050,
    "speedup": 500,
}


def _load(parts, name):
    path = parts / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _version(module):
    try:
        return __import__(module).__version__
    except Exception:  # noqa: BLE001 - report what can be found
        return None


def machine(load_at_start=None):
    import salt.version

    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        nproc = os.cpu_count()
    return {
        "nproc": nproc,
        "python": platform.python_version(),
        "salt": salt.version.__version__,
        "pytest_salt_factories": _version("saltfactories"),
        "platform": platform.platform(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average_start": load_at_start,
        "load_average_end": list(os.getloadavg()),
        "git_commit": h.git("rev-parse", "--short", "HEAD"),
        "git_dirty": bool(h.git("status", "--porcelain", "--untracked-files=no")),
    }


# --- figures and targets ---------------------------------------------------------------------


def _ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def _cpu_ratio(sizes, a, b, what):
    key = f"{what}_cpu_seconds"
    return _ratio(sizes[a].get(key), sizes[b].get(key))


def targets(deploy, conf, quick, live=None):
    out = []

    def add(part, name, value, limit, ok, note=""):
        status = "n/a" if value is None else ("pass" if ok else "MISS")
        out.append(
            {
                "part": part,
                "target": name,
                "value": value,
                "limit": limit,
                "status": status,
                "note": note,
            }
        )

    if deploy:
        sizes = {int(n): s for n, s in deploy["sizes"].items()}
        t = {n: s["deploy_seconds"] for n, s in sizes.items()}
        r31 = _ratio(t.get(3), t.get(1))
        add(1, "T(3) <= 2.0 x T(1)", r31, 2.0, r31 is not None and r31 <= 2.0)
        r123 = _ratio(t.get(12), t.get(3))
        add(
            1,
            "T(12) <= 1.6 x T(3)",
            r123,
            1.6,
            r123 is not None and r123 <= 1.6,
            "not run with --quick" if quick and r123 is None else "",
        )
        worst = lambda key: max(s[key] for s in sizes.values())  # noqa: E731
        add(
            2,
            "re-run: 0 changes",
            worst("rerun_changes"),
            0,
            worst("rerun_changes") == 0,
            "every state but the pillar refresh (module.run's return)",
        )
        logins = worst("rerun_logins_per_controller")
        add(
            2,
            "re-run: <= 1 Datera login per controller",
            logins,
            1,
            logins <= 1,
            ""
            if deploy.get("preflight_checks_cluster")
            else "datera/preflight.sls does not call the Datera API yet",
        )
        writes = worst("rerun_writes_other_than_login")
        add(2, "re-run: 0 POST/PUT/DELETE other than login", writes, 0, writes == 0)
        add(2, "re-run: 0 CIB writes", worst("rerun_cib_writes"), 0, worst("rerun_cib_writes") == 0)
        add(
            2,
            "re-run: 0 Pacemaker restarts",
            worst("rerun_restarts"),
            0,
            worst("rerun_restarts") == 0,
        )
    if deploy:
        _phase_targets(add, {int(n): s for n, s in deploy["sizes"].items()})
        for variant, data in sorted((deploy.get("variants") or {}).items()):
            vsizes = data["sizes"].values()
            changes = max(s["rerun_changes"] for s in vsizes)
            add(1, f"{variant}: re-run 0 changes", changes, 0, changes == 0, "side by side")
        _baseline_target(add, deploy)
    if live and "results" in live:
        for token, seconds in sorted(
            live["targets"].items(), key=lambda i: (i[0] != "default", i[0])
        ):
            took = live["results"].get(token, {}).get("node crash to driver ready elsewhere")
            add(
                "live",
                f"failover (node crash to driver ready), token {token}: <= {seconds:g} s",
                took,
                seconds,
                took is not None and took <= seconds,
                "" if took is not None else "not run with this token",
            )
    if conf:
        apply = conf["formula_apply"]["median_seconds"]
        cpu = conf["formula_apply"].get("median_cpu_seconds")
        add(
            3,
            "formula's edit <= 50 ms median (datera_conf.apply)",
            round(apply * 1000, 1),
            50,
            apply <= 0.050,
            "ms wall" + (f"; {cpu * 1000:.1f} ms CPU" if cpu is not None else ""),
        )
        speedup = conf["salt_set_option"]["median_seconds"] / apply
        add(3, ">= 500 x faster than ini.set_option", round(speedup), 500, speedup >= 500)
        same = conf["formula_apply"]["unmanaged_identical"]
        add(3, "byte-identical outside the managed keys", same, True, same is True)
    return out


def _baseline_target(add, deploy):
    """Issue 18: the first deploy at N=3 against the six-step deploy.sls it replaced (the
    ``baseline`` variant: the same run, interleaved), or why the baseline was not measured."""
    now = deploy["sizes"].get("3")
    baseline = (deploy.get("variants") or {}).get("baseline", {})
    then = baseline.get("sizes", {}).get("3")
    first = _ratio(now and now["deploy_seconds"], then and then["deploy_seconds"])
    why = (deploy.get("not_measured") or {}).get("baseline")
    if first is not None:
        note = (
            f"re-run {_fmt(_ratio(now['rerun_seconds'], then['rerun_seconds']), 2)}, deploy "
            f"CPU {_fmt(_ratio(now['deploy_cpu_seconds'], then['deploy_cpu_seconds']), 2)}; "
            f"baseline: commit {baseline['formula']['git_commit'][:7]}, side by side"
        )
    else:
        note = f"baseline: not measured ({why or 'not in this run, or no N=3'})"
    add(
        1,
        "first deploy N=3: default / baseline <= 0.7",
        first,
        0.7,
        first is not None and first <= 0.7,
        note,
    )


def _phase_targets(add, sizes):
    """The targets of the three-phase orchestration (issue 18): phases and jobs, and the
    formula's cost against the floor of the same phases at N = 3 and 6."""
    several = [s for n, s in sorted(sizes.items()) if n > 1 and "deploy_jobs" in s]
    if several:
        phases = max(s["deploy_jobs"]["state_jobs"] for s in several)
        add(1, "phases on the critical path: 3", phases, 3, phases <= 3)
        per_node = max(s["deploy_jobs"]["minion_jobs"] / s["n"] for s in several)
        extra = max(s["deploy_jobs"]["minion_jobs"] - 2 * s["n"] for s in several)
        add(
            1,
            "jobs per node per deploy: 2 (3 on the primary)",
            round(per_node, 2),
            2,
            extra <= 1,
            "minion jobs / N, worst N",
        )
    for n in (3, 6):
        s = sizes.get(n)
        cpu = _ratio(s and s["deploy_cpu_seconds"], s and s["floor_cpu_seconds"])
        add(1, f"deploy CPU <= 1.2 x floor CPU, N={n}", cpu, 1.2, cpu is not None and cpu <= 1.2)
        wall = s and s.get("rerun_over_floor")
        add(1, f"re-run wall <= 1.1 x floor, N={n}", wall, 1.1, wall is not None and wall <= 1.1)


# --- text ------------------------------------------------------------------------------------


def _scale_tables(deploy):
    cores = os.cpu_count() or 1
    model, paper, checked = scale_model.table(deploy, cores)
    inputs = (
        f"inputs (N = 1): {model['latency']:.2f} s latency per phase (the floor), "
        f"{model['job_cpu']:.2f} CPU-s per minion job, {model['master_cpu_per_job']:.2f} "
        "master CPU-s per minion job; assumptions: tests/bench/scale_model.py"
    )
    return [
        (
            "Scale on paper: every controller on its own host, one master core (seconds)",
            ["N", "minion jobs", "phases", "deploy (model)"],
            paper,
            [inputs],
        ),
        (
            f"The model on this machine ({cores} CPUs shared by every node) vs measured",
            ["N", "model", "measured", "measured/model"],
            checked,
            [],
        ),
    ]


def _jobs(jobs):
    return "-" if not jobs else f"{jobs['state_jobs']}/{jobs['minion_jobs']}"


def _fmt(value, digits=1):
    if value is None:
        return "-"
    if isinstance(value, (list, tuple)):
        return " ".join(_fmt(v, 2) for v in value)
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _variant_tables(deploy):
    """Each master variant beside the master as shipped (the same run, interleaved)."""
    out = []
    base = deploy["sizes"]
    for variant, data in sorted((deploy.get("variants") or {}).items()):
        rows = []
        for key in sorted(data["sizes"], key=int):
            s, b = data["sizes"][key], base.get(key, {})
            rows.append(
                [
                    s["n"],
                    f"{_fmt(b.get('deploy_seconds'))} / {_fmt(s['deploy_seconds'])}",
                    _fmt(_ratio(s["deploy_seconds"], b.get("deploy_seconds")), 2),
                    f"{_fmt(b.get('rerun_seconds'))} / {_fmt(s['rerun_seconds'])}",
                    _fmt(_ratio(s["rerun_seconds"], b.get("rerun_seconds")), 2),
                    f"{_fmt(b.get('floor_seconds'))} / {_fmt(s['floor_seconds'])}",
                    f"{_fmt(b.get('deploy_cpu_seconds'))} / {_fmt(s['deploy_cpu_seconds'])}",
                    _fmt(_ratio(s["deploy_cpu_seconds"], b.get("deploy_cpu_seconds")), 2),
                    f"{_fmt(b.get('deploy_master_cpu_per_minion'), 2)} / "
                    f"{_fmt(s['deploy_master_cpu_per_minion'], 2)}",
                    _fmt(s["formula_over_floor"], 2),
                    s["rerun_changes"],
                    _fmt(s["rerun_logins_per_controller"], 2),
                    f"{_jobs(b.get('deploy_jobs'))} / {_jobs(s.get('deploy_jobs'))}",
                ]
            )
        settings = ", ".join(f"{k}: {v}" for k, v in sorted(data.get("master", {}).items()))
        commit = (data.get("formula") or {}).get("git_commit")
        settings = settings or (f"the formula of commit {commit[:7]}" if commit else "")
        out.append(
            (
                f"Part 1, side by side: the master as shipped / {variant} ({settings}), seconds",
                [
                    "N",
                    "deploy",
                    "ratio",
                    "re-run",
                    "ratio",
                    "floor",
                    "CPU-s deploy",
                    "ratio",
                    "master CPU-s/minion",
                    "deploy/floor (variant)",
                    "re-run changes (variant)",
                    "logins/controller (variant)",
                    "jobs (state/minion)",
                ],
                rows,
                [
                    "each cell: as shipped / variant, medians of the same repetitions, the "
                    "variants interleaved; ratio: variant / as shipped; each variant has its "
                    "own master and minions, and its CPU counts only those; the variant's "
                    "floor runs the same phases on the same master (none for a variant serving "
                    "an older formula); jobs: salt.state jobs (phases) / minion jobs"
                ],
            )
        )
    return out


LIVE_FIGURES = (
    "node crash to driver ready elsewhere",
    "node crash to OFFLINE",
    "kill -9 to driver ready",
    "standby move to driver ready",
    "rotation (pillar edit to new credentials in use)",
    "deploy to driver ready",
    "cluster formed",
    "re-run (no change)",
    "live tier wall time",
)


def live_table(live):
    """The live bed's failover and rotation per corosync token setting."""
    if not live or "results" not in live:
        return []
    tokens = sorted(live["results"], key=lambda t: (t != "default", t))
    rows = []
    for figure in LIVE_FIGURES:
        cells = [live["results"][t].get(figure) for t in tokens]
        if any(c is not None for c in cells):
            rows.append([figure, *[_fmt(c) for c in cells]])
    targets_ = ", ".join(f"{live['targets'][t]:g} s (token {t})" for t in tokens)
    return [
        (
            "Live bed: failover and rotation (seconds)",
            ["figure", *[f"token {t}" for t in tokens]],
            rows,
            [
                "tests/bench/bench_live.py: the live tier (three Pacemaker nodes, the real "
                "cinder-volume) once per corosync token setting; failover: every process "
                "of the active node killed to 'Driver initialization completed "
                "successfully' on a survivor, target " + targets_ + "; rotation: the "
                "pillar edit to the restarted cinder-volume's driver ready with the new "
                "password"
            ],
        )
    ]


def tables(deploy, conf, api, live=None):
    """``[(title, header, rows, notes)]``: the same tables for the console and the RST."""
    out = []
    if deploy:
        sizes = [deploy["sizes"][k] for k in sorted(deploy["sizes"], key=int)]
        rows = [
            [
                s["n"],
                _fmt(s["deploy_seconds"]),
                _fmt(s["floor_seconds"]),
                _fmt(s["formula_over_floor"], 2),
                _fmt(s["rerun_seconds"]),
                _fmt(s.get("rerun_over_floor"), 2),
                _jobs(s.get("deploy_jobs")),
                _fmt(s.get("deploy_master_cpu_per_minion"), 2),
                _fmt(s.get("floor_master_cpu_per_minion"), 2),
                _fmt(s.get("deploy_cpu_seconds")),
                _fmt(s.get("rerun_cpu_seconds")),
                _fmt(s.get("floor_cpu_seconds")),
                _fmt(s.get("load_average_1min")),
                s["reps"],
            ]
            for s in sizes
        ]
        t = {s["n"]: s for s in sizes}
        notes = []
        for a, b in ((3, 1), (12, 3)):
            if a in t and b in t:
                notes.append(
                    f"T({a})/T({b}) = {_ratio(t[a]['deploy_seconds'], t[b]['deploy_seconds'])} "
                    f"(floor: {_ratio(t[a]['floor_seconds'], t[b]['floor_seconds'])}); "
                    f"CPU({a})/CPU({b}) = {_cpu_ratio(t, a, b, 'deploy')} "
                    f"(floor: {_cpu_ratio(t, a, b, 'floor')})"
                )
        notes.append(
            f"median of {deploy['reps']} per N after one warm-up deploy; floor: the same "
            f"{deploy['floor_steps']} salt.state steps, targets and requisites with no-op SLS "
            "(the first one refreshing pillar, as targeting by role needs); "
            "CPU-s: CPU seconds used by the master, the minions and salt-run (not other "
            "tenants of the machine); master CPU-s/minion: the salt-master's own CPU "
            "seconds per controller; jobs: the salt.state jobs the orchestration published "
            "and the minion jobs they ran; load: 1-minute load average after each deploy"
        )
        out.append(
            (
                "Part 1: salt-run state.orchestrate datera.deploy, N controllers (seconds)",
                [
                    "N",
                    "deploy",
                    "floor",
                    "deploy/floor",
                    "re-run",
                    "re-run/floor",
                    "jobs (state/minion)",
                    "master CPU-s/minion",
                    "same, floor",
                    "CPU-s deploy",
                    "CPU-s re-run",
                    "CPU-s floor",
                    "load (1 min)",
                    "reps",
                ],
                rows,
                notes,
            )
        )
        step_rows = []
        largest = sizes[-1]
        per_n = [dict(s["deploy_steps_seconds"]) for s in sizes]
        rerun, floor = dict(largest["rerun_steps_seconds"]), dict(largest["floor_steps_seconds"])
        for step, seconds in largest["deploy_steps_seconds"]:
            step_rows.append(
                [
                    step,
                    _fmt(seconds, 2),
                    _fmt(rerun.get(step), 2),
                    _fmt(floor.get(step), 2),
                    *[_fmt(steps.get(step), 2) for steps in per_n],
                ]
            )
        out.append(
            (
                f"Part 1: seconds per orchestration step (Salt's duration), N = {largest['n']}; "
                "deploy per N on the right",
                ["step", "deploy", "re-run", "floor", *[f"N={s['n']}" for s in sizes]],
                step_rows,
                [],
            )
        )
        rows = [
            [
                s["n"],
                s["rerun_changes"],
                s["rerun_changes_all_steps"],
                s["rerun_api"]["logins"],
                _fmt(s["rerun_logins_per_controller"], 2),
                " ".join(f"{m}:{c}" for m, c in sorted(s["rerun_api"]["by_method"].items())) or "-",
                s["rerun_writes_other_than_login"],
                s["rerun_cib_writes"],
                s["rerun_restarts"],
                _fmt(s.get("rerun_over_floor"), 2),
            ]
            for s in sizes
        ]
        out.append(
            (
                "Part 2: idempotent re-run (unchanged pillar)",
                [
                    "N",
                    "changes",
                    "changes incl. pillar refresh",
                    "logins",
                    "logins/controller",
                    "requests by method",
                    "other writes",
                    "CIB writes",
                    "restarts",
                    "re-run/floor",
                ],
                rows,
                [
                    "changes: changed states in the orchestration's JSON output, the pillar "
                    "refresh (module.run, always 'changed') left out; CIB writes: epoch moves; "
                    "restarts: the controllers whose restart state restarted cinder-volume",
                    "a first deploy here installs no packages, so it costs what a re-run "
                    "costs; both are compared with the floor (the same phases doing nothing)",
                ],
            )
        )
    if deploy:
        out += _variant_tables(deploy)
    if deploy and "deploy_jobs" in deploy["sizes"].get("1", {}):
        out += _scale_tables(deploy)
    out += live_table(live)
    if conf:
        set_option = conf["salt_set_option"]["median_seconds"]
        rows = []
        for key, label in (
            ("formula_editor_in_memory", "formula: datera_conf._edit_text (in memory)"),
            ("formula_apply", "formula: datera_conf.apply (read, backup, atomic write)"),
            ("formula_apply_unchanged_file", "formula: datera_conf.apply, file already right"),
            ("formula_state", "formula: datera_conf.managed via state.single"),
            ("salt_set_option", "Salt: ini.set_option"),
            ("salt_options_present", "Salt: ini.options_present via state.single"),
        ):
            entry = conf.get(key)
            if not entry:
                continue
            median = entry["median_seconds"]
            rows.append(
                [
                    label,
                    entry["runs"],
                    f"{median * 1000:.1f}",
                    _fmt(entry["median_cpu_seconds"] * 1000)
                    if entry.get("median_cpu_seconds") is not None
                    else "-",
                    f"{set_option / median:.0f}x"
                    if key.startswith("formula")
                    else "1x"
                    if key == "salt_set_option"
                    else f"{set_option / median:.2f}x",
                    _fmt(entry.get("unmanaged_identical")),
                    "-"
                    if "lines_removed" not in entry
                    else f"-{entry['lines_removed']} +{entry['lines_added']}",
                    _fmt(entry.get("unmanaged_lines_changed")),
                ]
            )
        out.append(
            (
                f"Part 3: {conf['keys']} keys + [DEFAULT] enabled_backends on the "
                f"{conf['sample_lines']}-line cinder 29.0.0 sample",
                [
                    "editor",
                    "runs",
                    "median ms",
                    "CPU ms",
                    "speed vs set_option",
                    "unmanaged bytes identical",
                    "lines -removed +added",
                    "unmanaged lines changed",
                ],
                rows,
                [
                    "each run on a fresh copy of the sample; the state rows include Salt's "
                    "state.single machinery (pillar compiled again) for both; CPU ms: this "
                    "process's CPU time (the wall time also holds fsync waits and other "
                    "tenants' load)"
                ],
            )
        )
    if api or deploy:
        rows = []
        for func in ("smoke_test", "system"):
            for mode, entry in ((api or {}).get(func) or {}).items():
                rows.append(
                    [
                        f"datera.{func}",
                        mode,
                        entry["requests"],
                        entry["logins"],
                        entry["connections"],
                        f"{entry['median_seconds'] * 1000:.0f}",
                    ]
                )
        if deploy and deploy.get("smoke_via_salt"):
            smoke = deploy["smoke_via_salt"]
            rows.append(
                [
                    "salt bctl1 datera.smoke_test",
                    "reuse (real minion)",
                    smoke["api"]["requests"],
                    smoke["api"]["logins"],
                    smoke["api"]["connections"],
                    f"{smoke['seconds'] * 1000:.0f} (CLI)",
                ]
            )
        notes = []
        if deploy:
            largest = deploy["sizes"][max(deploy["sizes"], key=int)]
            n = largest["n"]
            for label, usage in (
                ("deploy", largest["first_api"]),
                ("re-run", largest["rerun_api"]),
            ):
                runs = usage["logins"] / n
                per_call = ((api or {}).get("system") or {}).get("no_reuse")
                derived = (
                    f"; without reuse (no_reuse datera.system x {runs:g} runs): "
                    f"{runs * per_call['requests']:g} requests, "
                    f"{runs * per_call['connections']:g} connections"
                    if per_call
                    else ""
                )
                notes.append(
                    f"per {label} per controller (N={n}, measured at the simulator): "
                    f"{usage['requests'] / n:g} requests, {usage['logins'] / n:g} logins, "
                    f"{usage['connections'] / n:g} TCP connections{derived}"
                )
        notes.append(
            "reuse: one login + one keep-alive session per Salt run (as shipped); "
            "fresh_context: new __context__ per public call; no_reuse: that and no keep-alive"
        )
        out.append(
            (
                "Part 4: Datera API client (requests counted at the simulator)",
                ["call", "mode", "requests", "logins", "TCP connections", "median ms"],
                rows,
                notes,
            )
        )
    return out


def not_measured(live, deploy=None):
    """The parts this run did not measure, each with why (not an error)."""
    out = [f"{v}: {why}" for v, why in sorted((deploy or {}).get("not_measured", {}).items())]
    if live is None:
        out.append("live failover and rotation: not run (tests/bench/run.sh runs it as root)")
    elif "skipped" in live:
        out.append(f"live failover and rotation: not run: {live['skipped']}")
    return out


def _formula(formula):
    changes = formula.get("uncommitted") or []
    where = f"commit {formula.get('git_head')}"
    if changes:
        where += f" with uncommitted changes in {', '.join(changes)}"
    return f"{where} (copied when part 1 started; sha256 {formula['sha256'][:16]})"


def console(tables_, goals, info, total):
    lines = []
    for title, header, rows, notes in tables_:
        widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
        lines.append("")
        lines.append(title)
        lines.append("  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True)))
        lines.append("  ".join("-" * w for w in widths))
        for row in rows:
            lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
        lines.extend(f"  {note}" for note in notes)
    for part in info.get("not_measured") or ():
        lines += ["", f"Not measured: {part}"]
    lines.append("")
    lines.append("Targets")
    for goal in goals:
        note = f"  ({goal['note']})" if goal["note"] else ""
        lines.append(
            f"  [{goal['status']:>4}] part {goal['part']}: {goal['target']}: "
            f"{_fmt(goal['value'], 2)}{note}"
        )
    lines.append("")
    lines.append(
        f"Machine: {info['nproc']} CPUs, Python {info['python']}, Salt {info['salt']}, "
        f"{info['platform']}; {info['date']}; load average at start "
        f"{_fmt(info['load_average_start'])}, at end "
        f"{_fmt(info['load_average_end'])}; "
        f"checkout at report time {info['git_commit']}"
        f"{' + local changes' if info['git_dirty'] else ''}"
    )
    if info.get("formula"):
        lines.append(f"Formula measured: {_formula(info['formula'])}")
    if total is not None:
        lines.append(f"Whole benchmark: {total:.0f} s")
    return "\n".join(lines)


def _rst_cell(value):
    text = (str(value) or "-").replace("\\", "\\\\").replace("*", r"\*").replace("|", r"\|")
    text = text.replace("`", r"\`").replace("_ ", r"\_ ")
    return "\\" + text if text[:1] in "-+#=" else text  # not a bullet, not a section line


def rst(tables_, goals, info, total, quick):
    if info.get("formula"):
        measured = f"formula: {_formula(info['formula'])}"
    else:
        dirty = " with local changes" if info["git_dirty"] else ""
        measured = f"commit ``{info['git_commit']}``{dirty}"
    out = [
        ".. Generated by tests/bench/report.py (bash tests/bench/run.sh); do not edit.",
        "",
        f"Measured {info['date']} on {info['nproc']} CPUs, Python {info['python']}, "
        f"Salt {info['salt']} (pytest-salt-factories {info['pytest_salt_factories']}); "
        f"{measured}"
        f"{'; reduced sizes (--quick)' if quick else ''}"
        f"{f'; the whole benchmark took {total:.0f} s' if total is not None else ''}. "
        "The machine is shared: every figure that matters is a ratio within this run.",
        "",
        *[f"Not measured: {_rst_cell(part)}.\n" for part in info.get("not_measured") or ()],
        ".. rubric:: Targets",
        "",
        ".. list-table::",
        "   :header-rows: 1",
        "",
        "   * - Part",
        "     - Target",
        "     - Measured",
        "     - Result",
    ]
    for goal in goals:
        note = f" ({goal['note']})" if goal["note"] else ""
        out += [
            f"   * - {goal['part']}",
            f"     - {_rst_cell(goal['target'])}",
            f"     - {_rst_cell(_fmt(goal['value'], 2) + note)}",
            f"     - {goal['status']}",
        ]
    for title, header, rows, notes in tables_:
        out += ["", f".. rubric:: {title}", "", ".. list-table::", "   :header-rows: 1", ""]
        for row in [header, *rows]:
            out.append(f"   * - {_rst_cell(row[0])}")
            out += [f"     - {_rst_cell(cell)}" for cell in row[1:]]
        if notes:
            out.append("")
            out += [
                f"{_rst_cell(note)}" if i == 0 else f"\n{_rst_cell(note)}"
                for i, note in enumerate(notes)
            ]
    out.append("")
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--parts", type=Path, required=True)
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--rst", type=Path, required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--total-seconds", type=float)
    parser.add_argument("--load-at-start", type=float, nargs=3)
    args = parser.parse_args(argv)
    deploy, conf, api = (_load(args.parts, n) for n in ("deploy", "conf_edit", "api"))
    live = _load(args.parts, "live")
    info = machine(args.load_at_start)
    info["formula"] = (deploy or {}).get("formula")
    info["not_measured"] = not_measured(live, deploy)
    goals = targets(deploy, conf, args.quick, live)
    tables_ = tables(deploy, conf, api, live)
    missing = [n for n, d in (("deploy", deploy), ("conf_edit", conf), ("api", api)) if not d]
    print(console(tables_, goals, info, args.total_seconds))
    if missing:
        print(f"\nParts that did not produce results: {', '.join(missing)}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "quick": args.quick,
                "machine": info,
                "total_seconds": args.total_seconds,
                "targets": goals,
                "missing_parts": missing,
                "parts": {"deploy": deploy, "conf_edit": conf, "api": api, "live": live},
            },
            indent=2,
            sort_keys=True,
        )
    )
    args.rst.parent.mkdir(parents=True, exist_ok=True)
    args.rst.write_text(rst(tables_, goals, info, args.total_seconds, args.quick))
    print(f"\nWrote {args.json} and {args.rst}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())

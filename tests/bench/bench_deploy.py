"""
Parts 1, 2 and the deploy half of part 4: a real salt-master and N real salt-minions
(bctl1 primary, bctl2..bctlN), ``salt-run state.orchestrate datera.deploy`` from a seed
cinder.conf and an empty CIB, the idempotent re-run, and the floor (the same orchestration
with no-op states and the pillar refresh its role targeting needs), against the benchmark's
own Datera API simulator.

Variants side by side, interleaved repetition by repetition: the master as shipped
(``default``), one with ``pillar_cache: True`` (``pillar_cache``, an operator option:
docs/deployment.rst) and one serving the formula of ``harness.BASELINE_COMMIT``, the last
with the six-step deploy.sls (``baseline``: "today's" deploy of issue 18; no floor), each
with its own minions; the CPU of a variant counts its own daemons only
(``harness.salt_cpu_seconds``). Without that commit in git history the baseline is not
measured, and the report says why.

The masters serve copies of the formula taken when the benchmark starts (edits made to
the working tree meanwhile do not change what is measured). Minions are started once and
reused: N grows 1 -> 3 -> 6 -> 12 by adding minions to each master; for each N the pillar
names exactly N controllers, cinder.conf and the CIB are reset, one unmeasured deploy warms
the new minions up, then each repetition measures a first deploy, its re-run (after
Pacemaker's scheduler has started cinder-volume on one controller) and the floor.
"""

import contextlib
import os
import secrets
import time
from pathlib import Path

import pytest
from saltfactories.utils import random_string

from tests.bench import harness as h
from tests.support.cloud import Cloud
from tests.support.datera_sim import DateraSimulator

SIZES = (1, 3) if h.QUICK else (1, 3, 6, 12)
REPS = 1 if h.QUICK else 3
# a targeted run, e.g. BENCH_SIZES=1,3 BENCH_REPS=3 (run.sh sets neither)
SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "").split(",") if n) or SIZES
REPS = int(os.environ.get("BENCH_REPS") or REPS)
PRIMARY = "bctl1"
MINION_IDS = [f"bctl{i}" for i in range(1, max(SIZES) + 1)]
QUIET = {"log_level_logfile": "warning"}  # Salt's default; debug logging would skew times
# pytest-salt-factories starts daemons with PYTHONDONTWRITEBYTECODE=1; a salt-minion run by
# its init system writes the bytecode of the synced modules on first import and reads it in
# every later job, so the benchmark's minions do too (else every job compiles the formula's
# modules from source, which no real minion does)
MINION_ENV = {"PYTHONDONTWRITEBYTECODE": ""}


@pytest.fixture(scope="module")
def password():
    return "Bench-" + secrets.token_urlsafe(18)  # never printed, not in tests/support/secrets


@pytest.fixture(scope="module")
def sim(password):
    with DateraSimulator(host=h.SIM_HOST, https_port=0, users={"admin": password}) as server:
        server.bench_connections = h.ConnectionCounter(server)
        yield server


# the master's settings of each variant; "default" is the master as shipped.
# BENCH_VARIANTS=default (tests/bench/profile.sh) measures that one only.
VARIANTS = {"default": {}, "pillar_cache": {"pillar_cache": True}, "baseline": {}}
if os.environ.get("BENCH_VARIANTS"):
    VARIANTS = {v: VARIANTS[v] for v in os.environ["BENCH_VARIANTS"].split(",")}
# the variants whose master serves the formula of a commit, not the working tree's
FORMULA_AT = {"baseline": h.BASELINE_COMMIT}


@pytest.fixture(scope="module")
def state_files(tmp_path_factory):
    """The copy of the formula each variant's master serves (``trees``), the working tree's
    with the floor orchestration; ``not_measured``: the variants whose formula git cannot
    give, with why."""
    base = tmp_path_factory.mktemp("bench-state")
    files, formula = h.snapshot_tree(base / "state-tree")
    trees, formulas, not_measured = {}, {}, {}
    for variant in VARIANTS:
        commit = FORMULA_AT.get(variant)
        try:
            trees[variant], formulas[variant] = (
                h.snapshot_tree(base / variant, commit) if commit else (files, formula)
            )
        except h.NotInHistory as why:
            not_measured[variant] = str(why)
    return {
        "trees": trees,
        "formulas": formulas,
        "not_measured": not_measured,
        "formula": formula,
        "floor_steps": h.floor_orchestration(files),
        "preflight_checks_cluster": (
            "datera.preflight" in (files / "datera" / "preflight.sls").read_text()
        ),
    }


@pytest.fixture(scope="module")
def bench_masters(salt_factories, tmp_path_factory, state_files):
    """``{variant: started salt-master}``, each with a cloud root and a pillar tree."""
    with contextlib.ExitStack() as stack:
        masters = {}
        for variant, tree in state_files["trees"].items():
            root = tmp_path_factory.mktemp(f"bench-{variant}")
            pillar_root = root / "pillar-tree"
            pillar_root.mkdir()
            factory = salt_factories.salt_master_daemon(
                random_string(f"bench-{variant.replace('_', '-')}-"),
                overrides={
                    "file_roots": {"base": [str(tree)]},
                    "pillar_roots": {"base": [str(pillar_root)]},
                    "timeout": 30,
                    **QUIET,
                    **VARIANTS[variant],
                },
            )
            factory.bench_root, factory.bench_pillar_root = root, pillar_root
            factory.bench_tree, factory.bench_floor = tree, variant not in FORMULA_AT
            factory.minions = {}
            stack.enter_context(factory.started())
            masters[variant] = factory
        yield masters


def _check(ret, what, password):
    if ret.returncode != 0:
        failed = h.failed_steps(ret)
        raise AssertionError(
            f"{what} failed (exit {ret.returncode}): "
            + h.scrub(str(failed or ret.stdout[-3000:] or ret.stderr[-3000:]), password)
        )


def _measured(run, n, **extra):
    """What every measured orchestration reports: time, CPU (all of Salt, the master alone,
    the master per minion), the jobs it published and each step's time."""
    return {
        "seconds": round(run.seconds, 2),
        "cpu_seconds": round(run.cpu_seconds, 2),
        "master_cpu_seconds": round(run.master_cpu_seconds, 2),
        "master_cpu_per_minion": round(run.master_cpu_seconds / n, 3),
        "jobs": h.jobs(run.ret),
        "steps": h.step_durations(run.ret),
        **extra,
    }


def _one_rep(master, cloud, sim, password):
    run_cli = master.salt_run_cli(timeout=1800)
    pids = [master.pid, *(m.pid for m in master.minions.values())]

    def orchestrate(sls):
        return h.orchestrate(run_cli, sls, master_pid=master.pid, pids=pids)

    counter, n = sim.bench_connections, len(cloud.controllers)
    cloud.reset()
    h.reset_api(sim, counter)
    v0 = h.cib_version(cloud.cib_file)
    first = orchestrate("datera.deploy")
    _check(first.ret, "deploy", password)
    api_first = h.api_usage(sim, counter)
    v1 = h.cib_version(cloud.cib_file)
    writes_first = h.cib_writes(v0, v1)
    h.settle(cloud.cib_file, cloud.controllers)  # cinder-volume now runs on one controller
    v1 = h.cib_version(cloud.cib_file)

    h.reset_api(sim, counter)
    again = orchestrate("datera.deploy")
    _check(again.ret, "re-run", password)
    api_again = h.api_usage(sim, counter)
    v2 = h.cib_version(cloud.cib_file)

    out = {}
    if master.bench_floor:
        floor = orchestrate("bench_floor.deploy")
        _check(floor.ret, "floor", password)
        out["floor"] = _measured(floor, n)
    return {
        **out,
        "first": _measured(
            first,
            n,
            load=os.getloadavg()[0],
            changes=h.count_changes(first.ret),
            api=api_first,
            cib_writes=writes_first,
            restarts=len(h.restarted_on(first.ret)),
        ),
        "rerun": _measured(
            again,
            n,
            changes=h.count_changes(again.ret),
            api=api_again,
            cib_writes=h.cib_writes(v1, v2),
            cib_unchanged=v1 == v2,
            restarts=len(h.restarted_on(again.ret)),
        ),
    }


def _summary(n, reps, cold_seconds, start_seconds):
    firsts = [r["first"] for r in reps]
    reruns = [r["rerun"] for r in reps]
    t_first = h.median([r["seconds"] for r in firsts])
    t_rerun = h.median([r["seconds"] for r in reruns])
    floors = [r["floor"] for r in reps if "floor" in r]
    t_floor = h.median([f["seconds"] for f in floors])
    worst = max(reruns, key=lambda r: (r["changes"]["configuration"], r["api"]["logins"]))
    return {
        "n": n,
        "reps": len(reps),
        "minion_start_seconds": round(start_seconds, 1),
        "cold_deploy_seconds": round(cold_seconds, 2),
        "deploy_seconds": t_first,
        "rerun_seconds": t_rerun,
        "floor_seconds": t_floor,
        "deploy_cpu_seconds": h.median([r["cpu_seconds"] for r in firsts]),
        "rerun_cpu_seconds": h.median([r["cpu_seconds"] for r in reruns]),
        "floor_cpu_seconds": h.median([f["cpu_seconds"] for f in floors]),
        "deploy_master_cpu_per_minion": h.median([r["master_cpu_per_minion"] for r in firsts]),
        "rerun_master_cpu_per_minion": h.median([r["master_cpu_per_minion"] for r in reruns]),
        "floor_master_cpu_per_minion": h.median([f["master_cpu_per_minion"] for f in floors]),
        "deploy_jobs": firsts[-1]["jobs"],
        "floor_jobs": floors[-1]["jobs"] if floors else None,
        "load_average_1min": [r["load"] for r in firsts],
        "formula_over_floor": round(t_first / t_floor, 2) if t_floor else None,
        "rerun_over_floor": round(t_rerun / t_floor, 2) if t_floor else None,
        "rerun_changes": max(r["changes"]["configuration"] for r in reruns),
        "rerun_changes_all_steps": max(r["changes"]["all"] for r in reruns),
        "rerun_changed_states": worst["changes"]["by_step"],
        "rerun_api": worst["api"],
        "rerun_logins_per_controller": max(r["api"]["logins"] for r in reruns) / n,
        "rerun_writes_other_than_login": max(r["api"]["writes_other_than_login"] for r in reruns),
        "rerun_cib_writes": max(r["cib_writes"] for r in reruns),
        "rerun_restarts": max(r["restarts"] for r in reruns),
        "first_changes": h.median([r["changes"]["configuration"] for r in firsts]),
        "first_api": firsts[-1]["api"],
        "first_cib_writes": h.median([r["cib_writes"] for r in firsts]),
        "first_restarts": h.median([r["restarts"] for r in firsts]),
        "deploy_steps_seconds": _median_steps([r["steps"] for r in firsts]),
        "rerun_steps_seconds": _median_steps([r["steps"] for r in reruns]),
        "floor_steps_seconds": _median_steps([f["steps"] for f in floors]),
        "runs": reps,
    }


def _median_steps(runs):
    """``[[step id, median seconds]]`` in the first run's order."""
    names = [name for name, _ in runs[0]] if runs else []
    per_run = [dict(run) for run in runs]
    return [[name, h.median([run.get(name) for run in per_run])] for name in names]


def _smoke(salt_cli, sim):
    """``salt bctl1 datera.smoke_test`` as an operator runs it: requests and connections."""
    h.reset_api(sim, sim.bench_connections)
    started = time.perf_counter()
    ret = salt_cli.run("datera.smoke_test", minion_tgt=PRIMARY)
    seconds = time.perf_counter() - started
    usage = h.api_usage(sim, sim.bench_connections)
    data = ret.data if isinstance(ret.data, dict) else {}
    return {
        "ok": ret.returncode == 0 and data.get("ok") is True,
        "seconds": round(seconds, 2),
        "module_counted_requests": data.get("requests"),
        "api": usage,
    }


def _size(master, n, common, password):
    """The pillar and files of N controllers on ``master``, its minions started, one
    unmeasured deploy: ``(cloud, seconds to start new minions, warm-up deploy seconds)``."""
    ids = MINION_IDS[:n]
    cloud = Cloud(master.bench_root, master.bench_pillar_root, ids, PRIMARY)
    h.write_pillar(cloud, common)
    cloud.reset()
    began = time.perf_counter()
    for minion_id in ids:
        if minion_id not in master.minions:
            factory = master.salt_minion_daemon(minion_id, overrides=QUIET)
            factory.environ = {**factory.environ, **MINION_ENV}
            factory.start()
            master.minions[minion_id] = factory
    start_seconds = time.perf_counter() - began
    cloud.reset()
    cold = h.orchestrate(master.salt_run_cli(timeout=1800), "datera.deploy")
    _check(cold.ret, f"N={n} warm-up deploy", password)
    for minion_id in ids:
        extmods = Path(master.minions[minion_id].config["extension_modules"])
        foreign = h.foreign_modules(master.bench_tree, extmods)
        assert not foreign, f"{minion_id} runs modules its master does not serve: {foreign}"
        assert (extmods / "modules" / "datera.py").is_file(), f"{minion_id}: nothing synced"
    return cloud, start_seconds, cold.seconds


def _secs(run, key, spec):
    return "-" if run is None else format(run[key], spec)


def _print_rep(variant, n, rep, r):
    floor = r.get("floor")
    print(
        f"[bench] N={n:<2} {variant:<12} rep {rep + 1}/{REPS}:"
        f" deploy {r['first']['seconds']:6.1f} s"
        f"  re-run {r['rerun']['seconds']:6.1f} s  floor {_secs(floor, 'seconds', '6.1f')} s"
        f"  (CPU {r['first']['cpu_seconds']:.0f}/{r['rerun']['cpu_seconds']:.0f}/"
        f"{_secs(floor, 'cpu_seconds', '.0f')} s, load {r['first']['load']:.1f})"
        f"  re-run changes {r['rerun']['changes']['configuration']}"
        f"  logins {r['first']['api']['logins']}/{r['rerun']['api']['logins']}"
        f"  jobs {r['first']['jobs']['state_jobs']}/{r['first']['jobs']['minion_jobs']}",
        flush=True,
    )


def bench_orchestration(bench_masters, state_files, sim, password):
    common = h.backend_pillar(password, sim.https_port, sim.ca_pem_path)
    sizes = {variant: {} for variant in bench_masters}
    try:
        for n in SIZES:
            prepared = {v: _size(m, n, common, password) for v, m in bench_masters.items()}
            reps = {variant: [] for variant in bench_masters}
            for rep in range(REPS):  # the variants interleaved: the same machine load
                for variant, master in bench_masters.items():
                    cloud = prepared[variant][0]
                    reps[variant].append(_one_rep(master, cloud, sim, password))
                    _print_rep(variant, n, rep, reps[variant][-1])
            for variant, (_, start_seconds, cold_seconds) in prepared.items():
                sizes[variant][n] = _summary(n, reps[variant], cold_seconds, start_seconds)
        default = bench_masters["default"]
        smoke = _smoke(default.salt_cli(timeout=600), sim)
        usage = smoke["api"]
        print(
            f"[bench] salt {PRIMARY} datera.smoke_test: ok {smoke['ok']}, {usage['requests']} "
            f"requests, {usage['logins']} logins, {usage['connections']} connections",
            flush=True,
        )
    finally:
        for master in bench_masters.values():
            for factory in master.minions.values():
                factory.terminate()

    def by_n(summaries):
        return {str(n): s for n, s in summaries.items()}

    h.save(
        "deploy",
        {
            "sizes": by_n(sizes["default"]),
            "variants": {
                variant: {
                    "sizes": by_n(sizes[variant]),
                    "master": VARIANTS[variant],
                    "formula": state_files["formulas"][variant],
                }
                for variant in bench_masters
                if variant != "default"
            },
            "not_measured": state_files["not_measured"],
            "reps": REPS,
            "floor_steps": state_files["floor_steps"],
            "preflight_checks_cluster": state_files["preflight_checks_cluster"],
            "formula": state_files["formula"],
            "smoke_via_salt": smoke,
        },
    )

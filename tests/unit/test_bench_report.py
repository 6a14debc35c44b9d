"""The benchmark report's targets and tables for the three phases, the pillar_cache variant
and the live bed, on made-up measurements (tests/bench/report.py)."""

import json

import pytest

from tests.bench import bench_live, report


def size(n, **figures):
    values = {
        "n": n,
        "reps": 1,
        "deploy_seconds": 10.0,
        "rerun_seconds": 9.0,
        "floor_seconds": 8.0,
        "deploy_cpu_seconds": 12.0,
        "rerun_cpu_seconds": 11.0,
        "floor_cpu_seconds": 10.0,
        "deploy_master_cpu_per_minion": 0.5,
        "formula_over_floor": 1.25,
        "rerun_over_floor": 1.05,
        "rerun_changes": 0,
        "rerun_logins_per_controller": 1.0,
        "rerun_writes_other_than_login": 0,
        "rerun_cib_writes": 0,
        "rerun_restarts": 0,
        "deploy_jobs": {"state_jobs": 3 if n > 1 else 2, "minion_jobs": 2 * n},
    }
    values.update(figures)
    return values


def goals(deploy=None, live=None):
    return {g["target"]: g for g in report.targets(deploy, None, False, live)}


def test_phase_targets_pass_and_miss_on_the_measured_ratios():
    deploy = {"sizes": {"1": size(1), "3": size(3), "6": size(6, deploy_cpu_seconds=13.0)}}
    found = goals(deploy)
    assert found["phases on the critical path: 3"]["status"] == "pass"
    assert found["jobs per node per deploy: 2 (3 on the primary)"]["value"] == 2.0
    assert found["deploy CPU <= 1.2 x floor CPU, N=3"]["value"] == 1.2
    assert found["deploy CPU <= 1.2 x floor CPU, N=3"]["status"] == "pass"
    assert found["deploy CPU <= 1.2 x floor CPU, N=6"]["status"] == "MISS"
    assert found["re-run wall <= 1.1 x floor, N=6"]["status"] == "pass"


def test_a_fourth_phase_or_extra_jobs_miss():
    four = size(3, deploy_jobs={"state_jobs": 4, "minion_jobs": 8})
    found = goals({"sizes": {"1": size(1), "3": four}})
    assert found["phases on the critical path: 3"]["status"] == "MISS"
    assert found["jobs per node per deploy: 2 (3 on the primary)"]["status"] == "MISS"
    assert found["deploy CPU <= 1.2 x floor CPU, N=6"]["status"] == "n/a"  # not measured


def test_the_pillar_cache_variant_is_beside_the_shipped_master():
    cached = size(3, deploy_seconds=8.0, deploy_cpu_seconds=9.0, rerun_changes=1)
    deploy = {
        "sizes": {"1": size(1), "3": size(3)},
        "variants": {"pillar_cache": {"sizes": {"3": cached}, "master": {"pillar_cache": True}}},
    }
    assert goals(deploy)["pillar_cache: re-run 0 changes"]["status"] == "MISS"
    [(title, header, rows, _)] = report._variant_tables(deploy)
    assert "pillar_cache (pillar_cache: True)" in title
    row = dict(zip(header, rows[0], strict=False))  # the three "ratio" columns: the last wins
    assert row["deploy"] == "10.0 / 8.0" and rows[0][2] == "0.80"
    assert row["CPU-s deploy"] == "12.0 / 9.0" and rows[0][7] == "0.75"


def test_live_results_give_failover_targets_and_a_table():
    live = {
        "targets": {"default": 15.0, "1000": 10.0},
        "results": {"default": {"node crash to driver ready elsewhere": 16.2, "cluster formed": 5}},
    }
    found = goals(live=live)
    assert found["failover (node crash to driver ready), token default: <= 15 s"]["status"] == (
        "MISS"
    )
    token_1000 = found["failover (node crash to driver ready), token 1000: <= 10 s"]
    assert token_1000["status"] == "n/a" and "not run" in token_1000["note"]
    [(_, header, rows, _)] = report.live_table(live)
    assert header == ["figure", "token default"]
    assert ["node crash to driver ready elsewhere", "16.2"] in rows
    assert report.not_measured(live) == []


def test_a_live_part_not_run_is_reported_with_its_reason():
    assert report.live_table({"skipped": "the live bed needs root"}) == []
    assert report.not_measured({"skipped": "the live bed needs root"}) == [
        "live failover and rotation: not run: the live bed needs root"
    ]
    assert "not run" in report.not_measured(None)[0]


def test_bench_live_without_the_live_tier_writes_why_and_succeeds(tmp_path, monkeypatch):
    monkeypatch.setattr(bench_live, "live_tier_missing", lambda: "the live bed needs root")
    monkeypatch.setattr(bench_live, "run_tier", lambda token: pytest.fail("ran the tier"))
    out = tmp_path / "parts" / "live.json"
    assert bench_live.main(["--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["skipped"] == "the live bed needs root"
    assert report.not_measured(data) == [
        "live failover and rotation: not run: the live bed needs root"
    ]


def test_the_first_deploy_at_n3_is_compared_with_the_six_step_baseline():
    baseline = {
        "sizes": {"3": size(3, deploy_seconds=16.0, rerun_seconds=12.0, deploy_cpu_seconds=20.0)},
        "master": {},
        "formula": {"git_commit": "9058e5c44876b6f4aaf92499e867790aa072cfe7", "sha256": "0"},
    }
    deploy = {"sizes": {"1": size(1), "3": size(3)}, "variants": {"baseline": baseline}}
    row = goals(deploy)["first deploy N=3: default / baseline <= 0.7"]
    assert (row["value"], row["status"]) == (0.62, "pass")
    assert "re-run 0.75, deploy CPU 0.60" in row["note"] and "9058e5c" in row["note"]
    baseline["sizes"]["3"]["deploy_seconds"] = 14.0
    assert goals(deploy)["first deploy N=3: default / baseline <= 0.7"]["status"] == "MISS"
    [(title, header, rows, _)] = report._variant_tables(deploy)
    assert "baseline (the formula of commit 9058e5c)" in title
    assert dict(zip(header, rows[0], strict=True))["jobs (state/minion)"] == "3/6 / 3/6"


def test_a_baseline_git_cannot_give_is_reported_as_not_measured():
    why = "commit 9058e5c44876 is not in this clone's history: a shallow clone?"
    deploy = {"sizes": {"3": size(3)}, "not_measured": {"baseline": why}}
    row = goals(deploy)["first deploy N=3: default / baseline <= 0.7"]
    assert (row["value"], row["status"]) == (None, "n/a")
    assert row["note"] == f"baseline: not measured ({why})"
    assert report.not_measured({"results": {}}, deploy) == [f"baseline: {why}"]
    assert report._variant_tables(deploy) == []

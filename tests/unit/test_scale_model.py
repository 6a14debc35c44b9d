"""The scale model's arithmetic, on made-up measurements (tests/bench/scale_model.py)."""

import pytest

from tests.bench import scale_model

MEASURED = {
    "sizes": {
        "1": {
            "deploy_jobs": {"state_jobs": 2, "minion_jobs": 2},
            "floor_jobs": {"state_jobs": 2, "minion_jobs": 2},
            "floor_seconds": 1.0,
            "deploy_seconds": 2.0,
            "deploy_cpu_seconds": 3.0,
            "deploy_master_cpu_per_minion": 1.0,
        },
        "3": {"deploy_seconds": 5.0},
    }
}


def test_inputs_per_job():
    model = scale_model.inputs(MEASURED)
    assert model == {"latency": 0.5, "job_cpu": 1.0, "master_cpu_per_job": 0.5}


def test_separate_hosts_grow_with_the_master_only():
    model = scale_model.inputs(MEASURED)
    # 3 phases of (0.5 + 1.0) s, then 0.5 s of master CPU per job, 2N jobs on one core
    assert scale_model.separate_hosts(model, 3) == pytest.approx(3 * 1.5 + 0.5 * 6)
    assert scale_model.separate_hosts(model, 50) == pytest.approx(3 * 1.5 + 0.5 * 100)
    assert scale_model.separate_hosts(model, 1) == pytest.approx(2 * 1.5 + 0.5 * 2)


def test_one_machine_is_bound_by_its_cores():
    model = scale_model.inputs(MEASURED)
    # 6 jobs of 1.5 CPU-s on 2 cores: 4.5 s; separate hosts with 2 master cores: 6.0 s
    assert scale_model.one_machine(model, 3, cores=2) == pytest.approx(6.0)
    assert scale_model.one_machine(model, 3, cores=1) == pytest.approx(9.0)


def test_table_checks_every_measured_size():
    _, paper, checked = scale_model.table(MEASURED, cores=2, sizes=(3, 12))
    assert [row[0] for row in paper] == [3, 12]
    assert [row[0] for row in checked] == [1, 3]
    assert checked[1][2] == 5.0 and checked[1][3] == round(5.0 / 6.0, 2)

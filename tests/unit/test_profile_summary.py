"""The benchmark profile's summary: which samples count, and what each is charged to."""

from tests.bench import profile_summary

JOB = 'process 1:"salt-minion";Minion._target (salt/minion.py:1);run (salt/loader/lazy.py:9)'
WORKER = 'process 2:"salt-master MWorker";MWorker._handle_payload (salt/master.py:1)'


def test_samples_are_charged_to_their_first_cause_and_start_up_is_left_out():
    lines = [
        f"{JOB};managed (datera_conf.py:40);PrivateKey.__init__ (salt/crypt.py:5) 7\n",
        f"{JOB};gen_token (salt/crypt.py:5) 3\n",
        f"{JOB};LazyLoader._refresh_file_mapping (salt/loader/lazy.py:300) 2\n",
        f"{WORKER};compile_pillar (salt/pillar/__init__.py:1) 4\n",
        'process 1:"salt-minion";Minion.tune_in (salt/minion.py:2) 50\n',  # start-up
        "not a sample line\n",
    ]
    summary = profile_summary.summarise(lines)
    minion = summary["minion job"]
    assert minion["samples"] == 12
    assert minion["causes"] == {
        "formula code (datera modules and states)": 7,
        "RSA keys: load, sign, decrypt (salt/crypt.py)": 3,
        "loader: module dirs scanned, modules loaded": 2,
    }
    assert summary["master worker"] == {"samples": 4, "causes": {"pillar compile (salt/pillar)": 4}}
    assert "58.3 %  formula code" in profile_summary.table(summary)


def test_a_profile_without_job_samples_fails(tmp_path):
    raw = tmp_path / "profile.raw"
    raw.write_text('process 1:"salt-minion";Minion.tune_in (salt/minion.py:2) 5\n')
    assert profile_summary.main([str(raw)]) == 1

"""
Part 3: the Datera stanza (15 keys + ``[DEFAULT] enabled_backends``) applied to the
6,111-line cinder 29.0.0 sample, through Salt's real loader, each run on a fresh copy:

- the formula: ``datera_conf.apply`` (what the ``datera_conf.managed`` state calls: lock,
  read, plan, masked diff, backup, atomic write) -- the figure held against the target --
  and its in-memory editor alone (``datera_conf._edit_text``);
- Salt: ``ini.set_option`` (read, edit, write) on the same sections and values;
- both states through ``state.single`` (``datera_conf.managed``, ``ini.options_present``),
  which adds Salt's state machinery (pillar compiled again) to each;

and whether each leaves every byte it does not manage as it was.
"""

import difflib
import re
import secrets
import shutil
import time

import pytest
import yaml
from saltfactories.utils.functional import Loaders

from tests.bench import harness as h
from tests.support import conf_edit
from tests.support.loaders import masterless_overrides
from tests.support.paths import CINDER_SAMPLE

FORMULA_RUNS = 25
SET_OPTION_RUNS = 3 if h.QUICK else 5
OPTIONS_PRESENT_RUNS = 0 if h.QUICK else 1  # about 3 x set_option each: bounded on purpose
_HEADER = re.compile(r"^\[([^\]\r\n]*)\]\s*$")
_KEY = re.compile(r"^([A-Za-z0-9_.\-]+)\s*=")


@pytest.fixture(scope="module")
def loaders(salt_factories, tmp_path_factory):
    root = tmp_path_factory.mktemp("bench-conf")
    pillar_root = root / "pillar"
    pillar_root.mkdir()
    conf = root / "cinder.conf"
    pillar = h.backend_pillar("Bench-" + secrets.token_urlsafe(18), 7718, "")
    pillar["datera"]["cinder"] = {"conf_file": str(conf)}
    (pillar_root / "top.sls").write_text("base:\n  '*':\n    - datera\n")
    (pillar_root / "datera.sls").write_text(yaml.safe_dump(pillar))
    factory = salt_factories.salt_minion_daemon(
        "bench-conf-minion",
        overrides=masterless_overrides(pillar_root),
    )
    loaded = Loaders(factory.config.copy())
    loaded.bench_conf = conf
    yield loaded


def _lines_outside(text, managed, original_sections):
    """The lines of ``text`` the stanza does not manage: minus every line of a managed
    section the original did not have (and the blank lines just before its header), minus
    the ``key = value`` lines of managed keys in managed sections."""
    kept, section, new_section = [], None, False
    for line in text.splitlines(keepends=True):
        header = _HEADER.match(line)
        if header:
            section = header.group(1).strip()
            new_section = section in managed and section not in original_sections
            if new_section:
                while kept and not kept[-1].strip():
                    kept.pop()
            if not new_section:
                kept.append(line)
            continue
        if new_section:
            continue
        key = _KEY.match(line)
        if key and section in managed and key.group(1) in managed[section]:
            continue
        kept.append(line)
    return kept


def compare(original, result, managed):
    sections = {m.group(1).strip() for m in map(_HEADER.match, original.splitlines()) if m}
    before = _lines_outside(original, managed, sections)
    after = _lines_outside(result, managed, sections)
    diff = [
        line
        for line in difflib.unified_diff(original.splitlines(), result.splitlines(), n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    return {
        "unmanaged_identical": "".join(before) == "".join(after),
        "unmanaged_lines_changed": sum(
            1
            for tag in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes()
            if tag[0] != "equal"
            for _ in range(max(tag[2] - tag[1], tag[4] - tag[3]))
        ),
        "lines_removed": sum(1 for line in diff if line.startswith("-")),
        "lines_added": sum(1 for line in diff if line.startswith("+")),
        "blank_lines_before_after": [
            sum(1 for line in original.splitlines() if not line.strip()),
            sum(1 for line in result.splitlines() if not line.strip()),
        ],
    }


def _timed(runs, fresh, call, cpu=None):
    """Wall seconds of ``runs`` calls (each after ``fresh()``); CPU seconds of this process
    appended to ``cpu`` when given (robust to other tenants of the machine)."""
    seconds, result = [], None
    for _ in range(runs):
        fresh()
        cpu_started, started = time.process_time(), time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - started)
        if cpu is not None:
            cpu.append(time.process_time() - cpu_started)
    return seconds, result


def bench_cinder_conf_edit(loaders):
    conf = loaders.bench_conf
    sample = CINDER_SAMPLE.read_text()
    settings = loaders.modules.datera_pillar.settings(reveal=True)
    plan = conf_edit.datera_conf._desired(settings)
    stanza = plan["sections"][h.BACKEND]
    sections = {"DEFAULT": {"enabled_backends": h.BACKEND}, h.BACKEND: dict(stanza)}
    managed = {name: set(keys) for name, keys in sections.items()}

    def fresh():
        shutil.copyfile(CINDER_SAMPLE, conf)
        for stale in conf.parent.glob("cinder.conf.datera-backup"):
            stale.unlink()

    results = {"keys": len(stanza), "default_keys": 1, "sample_lines": len(sample.splitlines())}

    modules, states = loaders.modules, loaders.states
    edit_cpu, apply_cpu, set_option_cpu = [], [], []
    edit_seconds, (edited, _) = _timed(
        FORMULA_RUNS, lambda: None, lambda: conf_edit.edit(sample, plan), edit_cpu
    )
    apply_seconds, applied = _timed(
        FORMULA_RUNS, fresh, lambda: modules.datera_conf.apply(conf_file=str(conf)), apply_cpu
    )
    assert applied["changes"], "datera_conf.apply changed nothing"
    formula_text = conf.read_text()
    assert formula_text == edited
    unchanged_seconds, again = _timed(
        FORMULA_RUNS, lambda: None, lambda: modules.datera_conf.apply(conf_file=str(conf))
    )
    assert again["changes"] == {}
    state_seconds, state_ret = _timed(
        FORMULA_RUNS, fresh, lambda: states.datera_conf.managed(name=str(conf))
    )
    assert state_ret.result is True, state_ret.comment
    assert conf.read_text() == formula_text
    results["formula_apply"] = {
        "runs": FORMULA_RUNS,
        "median_seconds": h.median(apply_seconds),
        "median_cpu_seconds": h.median(apply_cpu),
        "all_seconds": [round(s, 4) for s in apply_seconds],
        **compare(sample, formula_text, managed),
    }
    results["formula_editor_in_memory"] = {
        "runs": FORMULA_RUNS,
        "median_seconds": h.median(edit_seconds),
        "median_cpu_seconds": h.median(edit_cpu),
    }
    results["formula_apply_unchanged_file"] = {
        "runs": FORMULA_RUNS,
        "median_seconds": h.median(unchanged_seconds),
    }
    results["formula_state"] = {
        "runs": FORMULA_RUNS,
        "median_seconds": h.median(state_seconds),
        "via": "state.single (what loaders.states calls)",
    }
    print(
        f"[bench] datera_conf.apply: median {h.median(apply_seconds) * 1000:.1f} ms "
        f"(editor in memory {h.median(edit_seconds) * 1000:.1f} ms, unchanged file "
        f"{h.median(unchanged_seconds) * 1000:.1f} ms, state datera_conf.managed through "
        f"state.single {h.median(state_seconds) * 1000:.1f} ms)",
        flush=True,
    )

    seconds, _ = _timed(
        SET_OPTION_RUNS,
        fresh,
        lambda: loaders.modules.ini.set_option(str(conf), sections),
        set_option_cpu,
    )
    results["salt_set_option"] = {
        "runs": SET_OPTION_RUNS,
        "median_seconds": h.median(seconds),
        "median_cpu_seconds": h.median(set_option_cpu),
        "all_seconds": [round(s, 2) for s in seconds],
        **compare(sample, conf.read_text(), managed),
    }
    print(f"[bench] ini.set_option: {[round(s, 1) for s in seconds]} s", flush=True)

    if OPTIONS_PRESENT_RUNS:
        seconds, ret = _timed(
            OPTIONS_PRESENT_RUNS,
            fresh,
            lambda: loaders.states.ini.options_present(name=str(conf), sections=sections),
        )
        results["salt_options_present"] = {
            "runs": OPTIONS_PRESENT_RUNS,
            "median_seconds": h.median(seconds),
            "all_seconds": [round(s, 2) for s in seconds],
            "via": "state.single (what loaders.states calls)",
            "result": ret.result,
            **compare(sample, conf.read_text(), managed),
        }
        print(f"[bench] ini.options_present: {[round(s, 1) for s in seconds]} s", flush=True)
    h.save("conf_edit", results)

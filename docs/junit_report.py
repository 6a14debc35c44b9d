"""
The test report (reStructuredText) from pytest's JUnit XML, never written by hand::

    python docs/junit_report.py artifacts/junit.xml docs/_generated/test-report.rst \
        [--bench artifacts/bench.json]

The grouping comes from the tests themselves: one section per layer (the directory under
``tests/``, described by the marker of the same name in ``setup.cfg`` or by the layer's
``conftest.py``), one table per test module (titled by the module's docstring), each case
named by its test function (as a sentence, with its docstring's first line) with its outcome
and duration. Then the versions the suite ran with and, with ``--bench``, the benchmark's
targets. ``tests/run.sh`` runs this right after the suite.
"""

import argparse
import ast
import configparser
import json
import platform
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUTCOMES = ("passed", "failed", "error", "skipped")


# --- the tests, as their sources describe them ---------------------------------------------


def _first(text):
    """The first paragraph of a docstring, on one line."""
    return " ".join((text or "").strip().split("\n\n")[0].split())


def describe_module(path):
    """``(module docstring, {test function name: first line of its docstring})``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            docs[node.name] = _first(ast.get_docstring(node)).split(". ")[0]
    return _first(ast.get_docstring(tree)), docs


def layers():
    """``{layer directory: description}``: the pytest marker named like the layer, else the
    first line of the layer's conftest.py."""
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    markers = config.get("tool:pytest", "markers", fallback="")
    described = dict(re.findall(r"^\s*(\w+):\s*(.+)$", markers, re.M))
    out = {}
    for directory in sorted(p for p in (REPO / "tests").iterdir() if p.is_dir()):
        conftest = directory / "conftest.py"
        doc = (
            _first(ast.get_docstring(ast.parse(conftest.read_text()))) if conftest.exists() else ""
        )
        out[directory.name] = described.get(directory.name) or doc
    return out


# --- the run --------------------------------------------------------------------------------


def _module(classname):
    """``tests.unit.test_x[.TestY]`` -> (``tests/unit/test_x.py``, ``TestY::`` or ``''``)."""
    parts = classname.split(".")
    for cut in range(len(parts), 0, -1):
        if (REPO / ("/".join(parts[:cut]) + ".py")).is_file():
            rest = "::".join(parts[cut:])
            return "/".join(parts[:cut]) + ".py", rest + "::" if rest else ""
    return "/".join(parts) + ".py", ""


def read_junit(path):
    """``(cases, suite attributes)``; a case: module, name, outcome, seconds, message."""
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    cases = []
    for case in (c for suite in suites for c in suite.iter("testcase")):
        module, klass = _module(case.get("classname") or "")
        outcome, message = "passed", ""
        for tag, name in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
            element = case.find(tag)
            if element is not None:
                outcome, message = name, element.get("message") or ""
                break
        cases.append({"module": module, "name": klass + (case.get("name") or ""),
                      "outcome": outcome, "seconds": float(case.get("time") or 0),
                      "message": message})  # fmt: skip
    meta = dict(suites[0].attrib) if suites else {}
    meta["time"] = sum(float(s.get("time") or 0) for s in suites)
    return cases, meta


def _version(python, dist):
    code = f"import importlib.metadata as m; print(m.version({dist!r}))"
    return _first_line([python, "-c", code])


def _first_line(argv):
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=REPO)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = proc.stdout.strip()
    return text.splitlines()[0] if proc.returncode == 0 and text else None


def environment():
    """``[(component, version)]`` of the machine that wrote the report."""
    venv, cinder = REPO / ".venv/bin/python", REPO / ".venv-cinder/bin/python"
    python = str(venv) if venv.exists() else sys.executable
    rows = [
        ("Operating system", platform.platform()),
        ("Python", _first_line([python, "-c", "import sys; print(sys.version.split()[0])"])),
    ]
    rows += [
        (dist, _version(python, dist))
        for dist in ("salt", "pytest", "pytest-salt-factories", "hypothesis", "dfs-sdk")
    ]
    rows.append(("cinder (.venv-cinder)", _version(str(cinder), "cinder")))
    rows.append(("Pacemaker", _first_line(["crm_mon", "--version"])))
    return [(name, value or "not found") for name, value in rows]  # fmt: skip


# --- reStructuredText -----------------------------------------------------------------------


def esc(text):
    return re.sub(r"([\\`*_|])", r"\\\1", str(text))


def table(headers, rows, widths=None):
    out = [".. list-table::", "   :header-rows: 1"]
    out += [f"   :widths: {' '.join(map(str, widths))}"] if widths else []
    out.append("")
    for row in [headers, *rows]:
        for i, cell in enumerate(row):
            lines = str(cell).split("\n")
            out.append(("   * - " if i == 0 else "     - ") + lines[0])
            out += [f"       {line}".rstrip() for line in lines[1:]]
    return "\n".join([*out, "", ""])


def title(text, char):
    return f"{text}\n{char * len(text)}\n\n"


def sentence(name):
    """``test_a_thing[x]`` -> ``A thing [x]``."""
    base, _, params = name.split("::")[-1].partition("[")
    words = base.removeprefix("test_").replace("_", " ")
    return words[:1].upper() + words[1:] + (f" [{params}" if params else "")


def _cell(outcome):
    return f"**{outcome}**" if outcome in ("failed", "error") else outcome


def _counts(cases):
    counts = Counter(c["outcome"] for c in cases)
    return [counts[o] for o in OUTCOMES]


def render_module(module, cases):
    path = REPO / module
    doc, docs = describe_module(path) if path.is_file() else ("", {})
    out = title(f"``{module}``", "~") + (esc(doc) + "\n\n" if doc else "")
    rows = []
    for case in cases:
        text = esc(sentence(case["name"]))
        function = case["name"].split("::")[-1].split("[")[0]
        text += f" -- *{esc(docs[function])}*" if docs.get(function) else ""
        if case["outcome"] != "passed" and case["message"]:
            text += "\n\n" + esc(" ".join(case["message"].split())[:300])
        rows.append((text, _cell(case["outcome"]), f"{case['seconds']:.2f}"))
    return out + table(("Case", "Outcome", "Seconds"), rows, (70, 15, 15))


def render_bench(path):
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    keys = ("part", "target", "value", "limit", "status", "note")
    rows = [[esc(row.get(k) if row.get(k) is not None else "") for k in keys]
            for row in data.get("targets", [])]  # fmt: skip
    out = title("Benchmark targets", "-") + "The full results are in :doc:`/performance`.\n\n"
    return out + (table([k.title() for k in keys], rows) if rows else "No target measured.\n\n")


def render(junit, bench=None):
    cases, meta = read_junit(junit)
    groups = {}
    for case in cases:
        groups.setdefault(case["module"].split("/")[1], {}).setdefault(case["module"], [])
        groups[case["module"].split("/")[1]][case["module"]].append(case)
    stamp = (meta.get("timestamp") or "?").replace("T", " ")[:19]
    out = ".. Generated by docs/junit_report.py from pytest's JUnit XML -- do not edit.\n\n"
    out += title("Summary", "-")
    out += table(("Run", "Total", *(o.title() for o in OUTCOMES), "Seconds"),
                 [(f"{esc(stamp)} on ``{meta.get('hostname') or '?'}``", len(cases),
                   *_counts(cases), f"{meta['time']:.0f}")])  # fmt: skip
    failing = [c for c in cases if c["outcome"] in ("failed", "error")]
    if failing:
        out += ".. warning::\n\n   Failed in this run:\n\n"
        out += "".join(f"   - ``{c['module']}::{c['name']}``\n" for c in failing) + "\n"
    described = layers()
    rows = [(f"`{layer.title()}`_", esc(described.get(layer, "")), len(modules),
             *_counts([c for m in modules.values() for c in m]))
            for layer, modules in groups.items()]  # fmt: skip
    out += table(("Layer", "What it runs", "Modules", *(o.title() for o in OUTCOMES)), rows,
                 (12, 48, 8, 8, 8, 8, 8))  # fmt: skip
    out += title("Environment", "-") + table(
        ("Component", "Version"), [(esc(a), esc(b)) for a, b in environment()]
    )
    out += render_bench(bench) if bench else ""
    for layer, modules in groups.items():
        out += title(layer.title(), "-")
        out += "".join(render_module(module, mc) for module, mc in modules.items())
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.strip().split("\n\n")[0])
    parser.add_argument("junit", type=Path, help="pytest's JUnit XML (pytest --junitxml=...)")
    parser.add_argument("output", type=Path, help="the reStructuredText file to write")
    parser.add_argument("--bench", type=Path, help="the benchmark's JSON (tests/bench)")
    args = parser.parse_args(argv)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if not args.junit.is_file():  # the suite did not get as far as writing it
        raise SystemExit(f"{args.junit}: no such file; the test report was not written")
    args.output.write_text(render(args.junit, args.bench), encoding="utf-8")
    print(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())

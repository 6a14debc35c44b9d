"""
The test catalogue: every test case of ``tests/``, read from the test sources (never written
by hand), with a stable ID, its layer and what it proves.

Used by ``docs/conf.py`` (the test plan) and ``docs/junit_report.py`` (the test report)::

    python docs/case_catalog.py docs/_generated/test-catalog.rst

IDs are ``<layer>-<module>-<nn>``: the layer (``UT`` unit, ``FT`` functional, ``IT``
integration, ``FI`` fidelity, ``LV`` live, ``DM`` demo), the test file's name without ``test_`` and
``datera_``, and the position of the test function in its file. What a case proves is its
name, as a sentence, plus its docstring when it has one.
"""

import ast
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TESTS = REPO / "tests"

# Layer directories, in the order the plan lists them: (dir, ID prefix, title, what it is).
LAYERS = (
    ("unit", "UT", "Unit", "one module at a time, Salt dunders faked, real simulators over HTTP"),
    (
        "functional",
        "FT",
        "Functional",
        "Salt's real loader without daemons; real files, real Pacemaker CLI",
    ),
    ("integration", "IT", "Integration", "a real salt-master and real salt-minions on loopback"),
    (
        "fidelity",
        "FI",
        "Fidelity",
        "clients nobody here wrote (dfs-sdk, cinder's driver) against the simulator",
    ),
    ("live", "LV", "Live", "a live 3-node Pacemaker cluster running the real cinder-volume"),
    ("demo", "DM", "Demo", "the demo of the README, run as a test"),
    ("bench", "BM", "Benchmark", "timings, not pass/fail checks"),
)


@dataclass
class Case:
    """One test function (a parametrized one counts once, with ``params`` cases)."""

    layer: str
    prefix: str
    path: str  # tests/unit/test_x.py
    function: str  # test_y, or TestClass::test_y
    index: int
    doc: str = ""
    params: int = 0  # 0: not parametrized; -1: parametrized, count unknown
    markers: list = field(default_factory=list)

    @property
    def nodeid(self):
        return f"{self.path}::{self.function}"

    @property
    def module_code(self):
        stem = Path(self.path).stem
        for prefix in ("test_", "zz_", "datera_"):
            if stem.startswith(prefix):
                stem = stem[len(prefix) :]
        return stem.upper().replace("_", "-")

    @property
    def id(self):
        return f"{self.prefix}-{self.module_code}-{self.index:02d}"

    @property
    def claim(self):
        """The test's name as a sentence."""
        name = self.function.split("::")[-1]
        name = re.sub(r"^test_", "", name).replace("_", " ").strip()
        return (name[:1].upper() + name[1:] + ".") if name else self.function


@dataclass
class Module:
    layer: str
    path: str
    doc: str
    cases: list


def _first_paragraph(text):
    text = (text or "").strip()
    return " ".join(text.split("\n\n")[0].split()) if text else ""


def _parametrize_count(decorator):
    """How many cases a ``@pytest.mark.parametrize(names, values)`` makes (-1: unknown)."""
    if not isinstance(decorator, ast.Call):
        return None
    func = decorator.func
    if not (isinstance(func, ast.Attribute) and func.attr == "parametrize"):
        return None
    values = decorator.args[1] if len(decorator.args) > 1 else None
    for keyword in decorator.keywords:
        if keyword.arg == "argvalues":
            values = keyword.value
    if isinstance(values, (ast.List, ast.Tuple, ast.Set)):
        return len(values.elts)
    return -1


def _markers(decorators):
    out = []
    for decorator in decorators:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Attribute)
            and target.value.attr == "mark"
            and target.attr != "parametrize"
        ):
            out.append(target.attr)
    return out


def _module_markers(tree):
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
        ):
            values = (
                node.value.elts if isinstance(node.value, (ast.List, ast.Tuple)) else [node.value]
            )
            return _markers(values)
    return []


def _functions(tree):
    """``(qualified name, node)`` of the test functions, in file order."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith(
            "test"
        ):
            yield node.name, node
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for item in node.body:
                if isinstance(
                    item, (ast.FunctionDef, ast.AsyncFunctionDef)
                ) and item.name.startswith("test"):
                    yield f"{node.name}::{item.name}", item


def parse_module(path, layer, prefix):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    relative = path.relative_to(REPO).as_posix()
    module_markers = _module_markers(tree)
    cases = []
    for index, (name, node) in enumerate(_functions(tree), start=1):
        params = 0
        for decorator in node.decorator_list:
            count = _parametrize_count(decorator)
            if count is not None:
                params = -1 if count == -1 or params == -1 else max(params, 1) * count
        cases.append(
            Case(
                layer=layer,
                prefix=prefix,
                path=relative,
                function=name,
                index=index,
                doc=_first_paragraph(ast.get_docstring(node)),
                params=params,
                markers=module_markers + _markers(node.decorator_list),
            )
        )
    return Module(layer, relative, _first_paragraph(ast.get_docstring(tree)), cases)


def collect(tests_dir=TESTS):
    """Every test module, layer by layer: ``[Module]``."""
    modules = []
    known = {layer for layer, *_ in LAYERS}
    layers = list(LAYERS) + [
        (d.name, d.name[:2].upper(), d.name.title(), "")
        for d in sorted(Path(tests_dir).iterdir())
        if d.is_dir() and d.name not in known and d.name not in ("support", "__pycache__")
    ]
    for layer, prefix, *_ in layers:
        directory = Path(tests_dir) / layer
        if not directory.is_dir():
            continue
        for path in sorted(directory.rglob("test_*.py")):
            modules.append(parse_module(path, layer, prefix))
    return modules


def cases_by_nodeid(modules):
    return {case.nodeid: case for module in modules for case in module.cases}


# --- rendering ----------------------------------------------------------------------------


def rst_escape(text):
    """Text safe inside an RST table cell (no markup surprises from ``*`` or backquotes)."""
    return re.sub(r"([\\`*_|])", r"\\\1", str(text))


def list_table(headers, rows, widths=None, indent=""):
    """A ``list-table`` directive; ``rows`` hold already-formatted RST cell text."""
    out = [f"{indent}.. list-table::", f"{indent}   :header-rows: 1"]
    if widths:
        out.append(f"{indent}   :widths: {' '.join(str(w) for w in widths)}")
    out.append("")
    for row in [headers] + list(rows):
        for i, cell in enumerate(row):
            lines = str(cell).split("\n") if str(cell) else [""]
            head = "   * - " if i == 0 else "     - "
            out.append(f"{indent}{head}{lines[0]}".rstrip())
            out.extend(f"{indent}       {line}".rstrip() for line in lines[1:])
    out.append("")
    return "\n".join(out)


def describe(case):
    text = rst_escape(case.claim)
    if case.doc:
        text += f" *{rst_escape(case.doc)}*"
    if case.params == -1:
        text += " (parametrized)"
    elif case.params:
        text += f" (parametrized, {case.params} cases)"
    return text


def render(modules):
    """The catalogue as RST: one section per layer, one table per test module."""
    out = []
    titles = {layer: (title, what) for layer, _, title, what in LAYERS}
    total = sum(len(m.cases) for m in modules)
    out.append(
        f"{total} test functions in {len(modules)} modules (a parametrized function counts "
        "once here; the test report lists every case).\n"
    )
    for layer in dict.fromkeys(m.layer for m in modules):
        title, what = titles.get(layer, (layer.title(), ""))
        layer_modules = [m for m in modules if m.layer == layer]
        heading = f"{title} tests (``tests/{layer}``)"
        out += [heading, "-" * len(heading), ""]
        if what:
            out += [what[:1].upper() + what[1:] + ".", ""]
        for module in layer_modules:
            out += [f"``{module.path}``", ""]
            if module.doc:
                out += [rst_escape(module.doc), ""]
            rows = [
                (f"``{case.id}``", f"``{case.function}``", describe(case)) for case in module.cases
            ]
            out.append(list_table(("ID", "Test", "What it proves"), rows, (14, 36, 50)))
    return "\n".join(out)


def write(path, tests_dir=TESTS):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = ".. Generated by docs/case_catalog.py from tests/ -- do not edit.\n\n"
    text += render(collect(tests_dir))
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python docs/case_catalog.py OUTPUT.rst")
    print(write(sys.argv[1]))

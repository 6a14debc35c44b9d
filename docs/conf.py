"""
Sphinx configuration of the datera-formula documentation.

Build (warnings are errors)::

    .venv/bin/sphinx-build -W --keep-going -b html docs docs/_build/html

Besides the hand-written pages, the build uses files generated into ``docs/_generated``
(never edited by hand, not under version control):

- ``pillar-table.rst``: the pillar reference, from the schema in ``_modules/datera_pillar.py``
  (``docs/pillar_table.py``), every build;
- ``test-catalog.rst`` and ``test-plan-maps.rst``: every test case of ``tests/`` and the
  fault / plugin / day-2 mappings (``docs/case_catalog.py``, ``docs/junit_report.py``), every
  build;
- ``test-report.rst``: from ``artifacts/junit.xml`` (or ``$DATERA_DOCS_JUNIT``) by
  ``docs/junit_report.py`` -- written
  here when it is missing or older than the JUnit file (CI runs the script itself right after
  the suite); a page saying that no run was recorded when there is no JUnit file;
- ``performance.rst``: includes ``bench.rst`` (written by the benchmark, ``tests/bench``)
  when it exists, else says how to produce it;
- ``deploy-time.svg``, ``deploy-steps.svg``: the performance page's charts, drawn by
  ``docs/charts.py`` when the build starts, from the benchmark's JSON.

The diagrams are Graphviz (``sphinx.ext.graphviz``, Debian's ``graphviz``). After a build,
``docs/check_layout.py`` opens the operator pages in headless Chromium at 1280 px.

Autodoc imports the Salt loader modules from the working tree under the names
``setup.cfg`` installs them as (``datera_formula.modules.datera`` is ``_modules/datera.py``,
``datera_formula.states.datera`` is ``_states/datera.py``, ...), so same-named modules of
different kinds do not clash. Salt itself must be importable (it is, in ``.venv``).
"""

import os
import re
import sys
import types
from pathlib import Path

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
GENERATED = DOCS / "_generated"
ARTIFACTS = REPO / "artifacts"

sys.path.insert(0, str(DOCS))  # the generator scripts beside this file
sys.path.insert(0, str(REPO))

import case_catalog  # noqa: E402
import charts  # noqa: E402
import junit_report  # noqa: E402
import pillar_table  # noqa: E402

# --- the Salt loader directories as the package setup.cfg installs -------------------------

LOADER_PACKAGES = {
    "modules": "_modules",
    "states": "_states",
    "runners": "_runners",
    "pillar": "_pillar",
    "utils": "_utils",
}


def _install_namespace():
    """``datera_formula.<kind>`` packages whose ``__path__`` is the working tree's dirs."""
    package = types.ModuleType("datera_formula")
    package.__path__ = []
    package.__file__ = None
    sys.modules["datera_formula"] = package
    for kind, directory in LOADER_PACKAGES.items():
        name = f"datera_formula.{kind}"
        sub = types.ModuleType(name)
        sub.__path__ = [str(REPO / directory)]
        sub.__package__ = name
        sys.modules[name] = sub
        setattr(package, kind, sub)


_install_namespace()

# --- project metadata ----------------------------------------------------------------------

project = "datera-formula"
author = "datera-formula contributors"
copyright = "datera-formula contributors, Apache-2.0"  # noqa: A001 - Sphinx's name
release = re.search(r"^version:\s*(\S+)\s*$", (REPO / "FORMULA").read_text(), re.M).group(1)
version = ".".join(release.split(".")[:2])

extensions = ["sphinx.ext.autodoc", "sphinx.ext.graphviz"]
graphviz_output_format = "svg"
root_doc = "index"
exclude_patterns = ["_build", "_generated", "measured", "Thumbs.db", ".DS_Store"]
templates_path = []
html_static_path = ["_static"]
html_css_files = ["datera.css"]
html_theme = "furo"  # wide enough for cinder.conf lines and crm_mon output
html_title = f"datera-formula {release}"
pygments_style = "sphinx"
highlight_language = "none"

autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_member_order = "bysource"
autodoc_typehints = "none"

# --- generated pages ------------------------------------------------------------------------

PROBLEMS = []


def _generate():
    GENERATED.mkdir(exist_ok=True)
    pillar_table.write(GENERATED / "pillar-table.rst")
    PROBLEMS.extend(pillar_table.problems())

    modules = case_catalog.collect()
    case_catalog.write(GENERATED / "test-catalog.rst")
    _write_if_changed(GENERATED / "test-plan-maps.rst", _plan_maps())
    PROBLEMS.extend(
        f"docs/junit_report.py maps {name} to {nodeid}, which is not a test in tests/"
        for name, nodeid in junit_report.missing_nodeids(modules)
    )

    junit = Path(os.environ.get("DATERA_DOCS_JUNIT", ARTIFACTS / "junit.xml"))
    bench = ARTIFACTS / "bench.json"
    report = GENERATED / "test-report.rst"
    stale = not report.exists() or (
        junit.exists() and junit.stat().st_mtime > report.stat().st_mtime
    )
    if stale:
        junit_report.write(junit, report, bench if bench.exists() else None)

    if (GENERATED / "bench.rst").exists():
        body = ".. include:: /_generated/bench.rst\n"
    elif (DOCS / "measured" / "bench.rst").exists():
        body = MEASURED_NOTE + ".. include:: /measured/bench.rst\n"
    else:
        body = PERFORMANCE_PLACEHOLDER
    _write_if_changed(GENERATED / "performance.rst", body)


def _plan_maps():
    out = [".. Generated by docs/conf.py from docs/junit_report.py's mappings -- do not edit.", ""]
    for title, anchor, rows in (
        ("Faults and the tests that cover them", "fault-table", junit_report.FAULTS),
        ("The original plugin's test cases", "plugin-cases", junit_report.PLUGIN_CASES),
        ("Day-2 procedures and their tests", "day2-cases", junit_report.DAY2),
        ("Behaviour the guides describe", "behaviour-cases", junit_report.BEHAVIOUR),
        ("Live HA, never two instances (issue 15)", "live-cases", junit_report.LIVE_HA),
    ):
        out += [f".. _{anchor}:", "", title, "-" * len(title), ""]
        out.append(junit_report.mapping_table(rows))
    return "\n".join(out)


def _write_if_changed(path, text):
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


MEASURED_NOTE = """\
.. note::

   This build ran no benchmark: below is the last full run recorded in the repository
   (``docs/measured/``, written by ``tests/bench/run.sh`` and committed as it came out).

"""

PERFORMANCE_PLACEHOLDER = """\
.. note::

   No benchmark result is recorded in this build: ``docs/_generated/bench.rst`` does not
   exist. Run the benchmark (see below), then build the docs again.
"""

_generate()


def _report_problems(app):
    from sphinx.util import logging

    logger = logging.getLogger("datera-formula")
    for problem in PROBLEMS:
        logger.warning(problem)


def _draw_charts(app):
    bench = ARTIFACTS / "bench.json"
    charts.write(bench if bench.exists() else DOCS / "measured" / "bench.json", GENERATED)


def setup(app):
    app.connect("builder-inited", _report_problems)
    app.connect("builder-inited", _draw_charts)
    return {"parallel_read_safe": True}

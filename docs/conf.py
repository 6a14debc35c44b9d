"""
Sphinx configuration of the datera-formula documentation (warnings are errors)::

    .venv/bin/sphinx-build -W --keep-going -b html docs docs/_build/html

Nothing is generated when this file is imported. Pages built from other files go to
``docs/_generated`` (not under version control), written when the builder starts
(``builder-inited``, ``setup`` below): the pillar reference (``docs/pillar_table.py``), the
performance charts (``docs/charts.py``, from the benchmark's JSON) and the performance results.
The test report comes from a run of the suite: ``tests/run.sh`` writes it with
``docs/junit_report.py`` before it builds the docs; without one the page says that no run
was recorded.

Autodoc imports the Salt loader modules from the working tree under the names ``setup.cfg``
installs them as (``_modules/datera.py`` is ``datera_formula.modules.datera``), so
same-named modules of different kinds do not clash.
"""

import re
import sys
import types
from pathlib import Path

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
GENERATED = DOCS / "_generated"
sys.path[:0] = [str(DOCS), str(REPO), str(REPO / "_utils")]  # _utils: top-level, as installed

package = sys.modules["datera_formula"] = types.ModuleType("datera_formula")
package.__path__ = []
for kind in ("modules", "states", "runners", "pillar"):
    sub = sys.modules[f"datera_formula.{kind}"] = types.ModuleType(f"datera_formula.{kind}")
    sub.__path__ = [str(REPO / f"_{kind}")]
    setattr(package, kind, sub)

project = "datera-formula"
author = "datera-formula contributors"
copyright = "datera-formula contributors, Apache-2.0"  # noqa: A001 - Sphinx's name
release = re.search(r"^version:\s*(\S+)\s*$", (REPO / "FORMULA").read_text(), re.M).group(1)
version = ".".join(release.split(".")[:2])

extensions = ["sphinx.ext.autodoc", "sphinx.ext.graphviz"]
graphviz_output_format = "svg"
exclude_patterns = ["_build", "_generated", "measured"]
html_static_path = ["_static"]
html_css_files = ["datera.css"]
html_theme = "furo"  # wide enough for cinder.conf lines and crm_mon output
html_title = f"datera-formula {release}"
pygments_style = "sphinx"
highlight_language = "none"
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"

NO_RUN = """\
.. note::

   No test run was recorded in this build. ``bash tests/run.sh`` runs the suite and writes
   this page; by hand: ``.venv/bin/python docs/junit_report.py artifacts/junit.xml
   docs/_generated/test-report.rst``.
"""
NO_BENCH = """\
.. note::

   This build ran no benchmark: below is the last full run kept in the repository
   (``docs/measured/``, written by ``tests/bench/run.sh`` and committed as it came out).

.. include:: /measured/bench.rst
"""


def generate(app):
    """The generated pages and figures, each from its source, when the builder starts."""
    import charts
    import pillar_table
    from sphinx.util import logging

    GENERATED.mkdir(exist_ok=True)
    for problem in pillar_table.problems():  # docs/pillar.rst is not what the schema renders
        logging.getLogger("datera-formula").warning(problem)
    bench = REPO / "artifacts" / "bench.json"
    charts.write(bench if bench.exists() else DOCS / "measured" / "bench.json", GENERATED)
    have_bench = (GENERATED / "bench.rst").exists()
    _write(GENERATED / "performance.rst",
           ".. include:: /_generated/bench.rst\n" if have_bench else NO_BENCH)  # fmt: skip
    if not (GENERATED / "test-report.rst").exists():
        _write(GENERATED / "test-report.rst", NO_RUN)


def _write(path, text):
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def setup(app):
    app.connect("builder-inited", generate)
    return {"parallel_read_safe": True}

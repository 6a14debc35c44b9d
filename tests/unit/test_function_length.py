"""No function of the formula's Salt modules is longer than 60 lines (docstring included):
a longer one does more than one job."""

import ast

from tests.support.paths import REPO

LOADER_DIRS = ("_modules", "_states", "_utils", "_pillar", "_runners")
MAX_LINES = 60


def function_lengths():
    """``{"_modules/datera.py:69 _settings": lines}`` for every function, nested ones too."""
    lengths = {}
    for directory in LOADER_DIRS:
        for path in sorted((REPO / directory).glob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    where = f"{directory}/{path.name}:{node.lineno} {node.name}"
                    lengths[where] = node.end_lineno - node.lineno + 1
    return lengths


def test_no_function_is_longer_than_60_lines():
    lengths = function_lengths()
    assert len(lengths) > 200  # every loader dir was read
    assert {where: n for where, n in lengths.items() if n > MAX_LINES} == {}

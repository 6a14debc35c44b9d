"""Every public function of an execution module or runner documents how to call it: a
``CLI Example:`` section with a ``salt``/``salt-call``/``salt-run`` line (as Salt's own
modules and saltext-vault's pre-commit hook require)."""

import ast

import pytest

from tests.support.paths import REPO

LOADER_DIRS = {"_modules": ("salt ", "salt-call "), "_runners": ("salt-run ",)}


def public_functions():
    for directory, commands in LOADER_DIRS.items():
        for path in sorted((REPO / directory).glob("*.py")):
            for node in ast.parse(path.read_text()).body:
                if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                    yield pytest.param(node, commands, id=f"{directory}/{path.stem}.{node.name}")


@pytest.mark.parametrize(("function", "commands"), public_functions())
def test_public_function_has_a_cli_example(function, commands):
    doc = ast.get_docstring(function) or ""
    assert "CLI Example:" in doc, "no 'CLI Example:' section"
    example = doc.split("CLI Example:", 1)[1]
    assert any(command in example for command in commands), "no command line in the example"

import pytest

from tests.support.loaders import load


@pytest.fixture
def ini():
    return load("utils", "datera_ini")

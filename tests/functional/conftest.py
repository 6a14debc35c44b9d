"""Functional tier: Salt's real loader (no daemons) with the formula's module dirs."""

import pytest
import yaml
from saltfactories.utils.functional import Loaders

from tests.support.loaders import masterless_overrides


@pytest.fixture(scope="package")
def minion_id():
    return "func-minion"


@pytest.fixture
def pillar_root(tmp_path):
    root = tmp_path / "pillar"
    root.mkdir()
    (root / "top.sls").write_text("base:\n  '*':\n    - datera\n")
    (root / "datera.sls").write_text("{}\n")
    return root


@pytest.fixture
def minion_opts(salt_factories, minion_id, pillar_root):
    factory = salt_factories.salt_minion_daemon(
        minion_id,
        overrides=masterless_overrides(pillar_root),
    )
    return factory.config.copy()


@pytest.fixture
def loaders(minion_opts):
    return Loaders(minion_opts)


@pytest.fixture
def set_pillar(loaders, pillar_root):
    """Write the ``datera`` pillar and reload the loaders with it, as a minion would."""

    def write(datera):
        (pillar_root / "datera.sls").write_text(yaml.safe_dump({"datera": datera}))
        loaders.refresh_pillar()
        loaders.reload_all()

    return write


@pytest.fixture
def modules(loaders):
    return loaders.modules


@pytest.fixture
def states(loaders):
    return loaders.states

"""Fixtures of the fidelity tests that run other people's Datera clients against the simulator."""

import collections
import collections.abc
import importlib
import logging

import pytest

ABC_NAMES = ("Mapping", "MutableMapping", "Sequence", "Iterable")


@pytest.fixture(scope="session")
def dfs_sdk():
    """dfs-sdk 1.2.27, imported with the ``collections`` aliases it needs on Python >= 3.10
    (``base.py`` subclasses ``collections.Mapping``); the aliases are removed again right after
    the import, so nothing else in the session sees them."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ABC_NAMES:
            if not hasattr(collections, name):
                patch.setattr(collections, name, getattr(collections.abc, name), raising=False)
        module = importlib.import_module("dfs_sdk")
    assert not hasattr(collections, "Mapping") or collections.Mapping is collections.abc.Mapping
    with pytest.MonkeyPatch.context() as patch:
        # its retry warnings would otherwise wait in Salt's deferred log queue until exit
        patch.setattr(logging.getLogger("dfs_sdk"), "propagate", False)
        yield module

"""cinder.conf files written by the formula's own editor, for the fidelity clients to read."""

from tests.support.loaders import load
from tests.support.paths import CINDER_SAMPLE

datera_conf = load("modules", "datera_conf")
datera_pillar = load("modules", "datera_pillar")


def write_conf(path, pillar, seed=None):
    """Write ``seed`` (default: cinder 29.0.0's full sample) to ``path``, then apply the
    ``datera`` ``pillar`` to it with the formula's editor, as ``datera_conf.managed`` does."""
    path.write_bytes(CINDER_SAMPLE.read_bytes() if seed is None else seed)
    datera_conf.__salt__ = {
        "datera_pillar.settings": lambda reveal=False: datera_pillar._normalise(pillar)
    }
    datera_conf.apply(str(path))
    return path

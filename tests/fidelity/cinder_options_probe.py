"""
Runs inside the real cinder's virtualenv (.venv-cinder): load a cinder.conf the formula
wrote, with cinder 29.0.0's own option definitions for a Datera backend section, and
print, as JSON, every option of that section with its parsed value, and the keys cinder
does not know. Usage: python cinder_options_probe.py <cinder.conf> <section>
"""

import collections
import collections.abc
import json
import sys

# dfs-sdk 1.2.27 (imported by cinder's Datera driver) still uses collections.Mapping & co.
for _name in ("Mapping", "MutableMapping", "Sequence", "Iterable"):
    setattr(collections, _name, getattr(collections.abc, _name))

import cinder.volume.driver  # noqa: E402,F401 - these register the backend options
import cinder.volume.drivers.san.san  # noqa: E402,F401
from cinder import objects  # noqa: E402

objects.register_all()
import cinder.volume.manager  # noqa: E402,F401
from cinder.cmd import volume as volume_cmd  # noqa: E402
from cinder.common import config  # noqa: E402
from cinder.volume.drivers.datera import datera_iscsi  # noqa: E402
from oslo_config import cfg  # noqa: E402


def backend_options():
    """Every option cinder 29 reads in a Datera backend section: the shared backend
    options ([backend_defaults]), the Datera driver's own, and backend_host (which
    cinder-volume registers in each backend's section: its service is backend_host@name)."""
    shared = config.CONF._groups["backend_defaults"]._opts.values()
    return [entry["opt"] for entry in shared] + list(datera_iscsi.d_opts) + [volume_cmd.host_opt]


def main(conf_file, section):
    options = backend_options()
    conf = cfg.ConfigOpts()
    conf.register_opts(options, group=section)
    conf.register_opt(cfg.ListOpt("enabled_backends"))
    conf(["--config-file", conf_file], project="cinder", default_config_files=[])
    sections = {}
    cfg.ConfigParser(conf_file, sections).parse()
    written = sorted(sections[section])
    known = {opt.dest for opt in options} | {opt.name for opt in options}
    values = {}
    for key in written:
        if key in known:
            value = conf[section][key.replace("-", "_")]
            values[key] = (
                value if isinstance(value, (bool, int, float, str, type(None))) else str(value)
            )
    print(
        json.dumps(
            {
                "written": written,
                "unknown": [key for key in written if key not in known],
                "values": values,
                "enabled_backends": conf.enabled_backends,
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:3])

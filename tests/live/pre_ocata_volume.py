"""
cinder-volume as cinder ran it before Ocata without ``enabled_backends`` (the old Fuel plugin's
single-backend mode): one service named after ``host`` alone (no ``@backend``), its driver
configured in [DEFAULT]. Cinder 29 refuses that layout (``cinder/cmd/volume.py`` exits when
``enabled_backends`` is empty), so a single-backend legacy node of the live bed
(tests/live/legacy.py) runs this with cinder's interpreter instead: cinder's own service and
volume manager, the backend options of [DEFAULT] handed to the manager's option group
(``backend_defaults``), which is where cinder 29 reads them.

    python pre_ocata_volume.py --config-file /etc/cinder/cinder.conf --config-file extra.conf
"""

import configparser
import shlex
import sys

from cinder.cmd import volume as cmd  # cinder-volume's eventlet patching and options
from oslo_utils import importutils

GROUP = "backend_defaults"


def default_section(files):
    """[DEFAULT] of the config files, the later file winning, as oslo.config reads them."""
    parser = configparser.RawConfigParser(strict=False)
    parser.read(files)
    return dict(parser.defaults())


def backend_from_default(conf):
    """Give the backend options set in [DEFAULT] to the manager's option group; the
    manager's and the driver's options are registered first."""
    from cinder.volume import manager  # after objects.register_all(), which it needs

    values = default_section(conf.config_file)
    conf.register_opts(manager.volume_backend_opts, group=GROUP)  # as the manager does
    importutils.import_class(values["volume_driver"])
    group = conf[GROUP]
    for name, value in values.items():
        if name in group:
            conf.set_override(name, value, GROUP)


def main():
    cmd.objects.register_all()
    cmd.gmr_opts.set_defaults(cmd.CONF)
    cmd.CONF(sys.argv[1:], project="cinder", version=cmd.version.version_string())
    cmd.logging.setup(cmd.CONF, "cinder")
    cmd.priv_context.init(root_helper=shlex.split(cmd.utils.get_root_helper()))
    cmd.os_brick.setup(cmd.CONF)
    backend_from_default(cmd.CONF)
    server = cmd.service.Service.create(
        host=cmd.CONF.host, service_name=GROUP, binary="cinder-volume", coordination=True
    )
    launcher = cmd.service.process_launcher()
    launcher.launch_service(server)
    launcher.wait()


if __name__ == "__main__":
    main()

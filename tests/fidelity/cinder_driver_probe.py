"""
Runs inside the real cinder's virtualenv (.venv-cinder): load the backend section of a
cinder.conf the way cinder-volume does, build the driver named by its ``volume_driver``, and
drive it through a volume's life against whatever ``san_ip`` names (in the tests: the Datera
simulator on <san_ip>:7718). Prints one JSON line with what each step returned.

The driver lets dfs-sdk cache the cluster's schema in its default ``/tmp/.cached-schema``,
shared by everything on the machine; the probe makes it cache in ``$DATERA_SDK_SCHEMA_LOC``
instead (a fresh temporary file when that is unset).

Usage: python cinder_driver_probe.py <cinder.conf> [<backend section>]
"""

import collections
import collections.abc
import json
import os
import sys
import tempfile
import types
import uuid

# dfs-sdk 1.2.27 (imported by cinder's Datera driver) still uses collections.Mapping & co.
for _name in ("Mapping", "MutableMapping", "Sequence", "Iterable"):
    setattr(collections, _name, getattr(collections.abc, _name))

import dfs_sdk  # noqa: E402
from cinder import objects  # noqa: E402

objects.register_all()
from cinder.volume import configuration as volume_configuration  # noqa: E402
from cinder.volume import manager  # noqa: E402
from oslo_config import cfg  # noqa: E402
from oslo_utils import importutils  # noqa: E402

SCHEMA_LOC = "DATERA_SDK_SCHEMA_LOC"
PROJECT = "c0ffee00c0ffee00c0ffee00c0ffee00"
CONNECTOR = {
    "ip": "172.28.41.5",
    "initiator": "iqn.1993-08.org.debian:01:ed22de8d75c0",
    "host": "compute-1",
    "multipath": False,
}


def plain(value):
    """JSON-able copy of what the SDK hands back (Entity objects are Mappings)."""
    if isinstance(value, collections.abc.Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    return str(value)


def backend_driver(conf_file, backend):
    configuration = volume_configuration.Configuration(
        manager.volume_backend_opts, config_group=backend
    )
    cfg.CONF(["--config-file", conf_file], project="cinder", default_config_files=[])
    return configuration.volume_driver, importutils.import_object(
        configuration.volume_driver, configuration=configuration, host=f"probe@{backend}"
    )


def ai_of(driver, volume):
    ai = driver.cvol_to_ai(volume, tenant=driver.get_tenant(volume["project_id"]))
    return plain(ai)


def cache_schema_at(path):
    """Every ``dfs_sdk.get_api`` call without a ``schema_loc`` (cinder's) caches at ``path``."""
    get_api = dfs_sdk.get_api

    def get_api_caching_at_path(*args, **kwargs):
        kwargs.setdefault("schema_loc", path)
        return get_api(*args, **kwargs)

    dfs_sdk.get_api = get_api_caching_at_path


def main(conf_file, backend="datera"):
    with tempfile.TemporaryDirectory(prefix="cinder-driver-probe-") as tmp:
        cache_schema_at(os.environ.get(SCHEMA_LOC) or os.path.join(tmp, "schema"))
        probe(conf_file, backend)


def probe(conf_file, backend):
    out = {}
    out["volume_driver"], driver = backend_driver(conf_file, backend)
    # cinder-volume's order: init_host (do_setup, check_for_setup_error), then
    # init_host_with_rpc (stats; the driver learns the product version there)
    driver.do_setup(None)
    out["api_version"] = driver.apiv
    if driver.api is None:
        print(json.dumps(out))
        return
    driver.check_for_setup_error()
    out["stats"] = plain(driver.get_volume_stats(refresh=True))
    volume = {
        "id": str(uuid.uuid4()),
        "display_name": "probe volume",
        "size": 1,
        "project_id": PROJECT,
        "volume_type_id": None,
        "host": f"probe@{backend}#{backend}",
        "bootable": False,
        "availability_zone": "nova",
    }
    out["volume_id"] = volume["id"]
    driver.create_volume(volume)
    out["created"] = ai_of(driver, volume)
    driver.extend_volume(volume, 2)
    volume["size"] = 2
    out["extended"] = ai_of(driver, volume)
    driver.create_export(None, volume, CONNECTOR)
    out["connection"] = driver.initialize_connection(volume, CONNECTOR)
    out["exported"] = ai_of(driver, volume)
    attachment = types.SimpleNamespace(connector=CONNECTOR)
    driver.detach_volume(None, volume, attachment)
    out["detached"] = ai_of(driver, volume)
    snapshot = {
        "id": str(uuid.uuid4()),
        "volume_id": volume["id"],
        "project_id": PROJECT,
        "volume_size": 2,
        "provider_location": None,
    }
    out["snapshot_id"] = snapshot["id"]
    driver.create_snapshot(snapshot)
    out["snapshotted"] = ai_of(driver, volume)
    driver.delete_snapshot(snapshot)
    out["snapshot_deleted"] = ai_of(driver, volume)
    driver.delete_volume(volume)
    out["remaining"] = plain(driver.api.app_instances.list(tenant="/root"))
    driver.delete_volume(volume)  # a second delete finds nothing and must not fail
    out["stats_after"] = plain(driver.get_volume_stats(refresh=True))
    print(json.dumps(out))


if __name__ == "__main__":
    main(*sys.argv[1:3])

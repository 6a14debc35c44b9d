"""
The simulated cloud the integration tests and the demo deploy to: one salt-master and N
salt-minions on loopback, each minion one controller with its own cinder.conf, all
sharing one Pacemaker CIB file, as the nodes of a real cluster share one CIB.
"""

import copy
import ipaddress
import os
import shutil
import subprocess
import textwrap

import yaml

from tests.support.clusters import DateraClusters
from tests.support.paths import REPO

LOADER_DIRS = ("_modules", "_states", "_utils", "_pillar", "_runners")
SEED_CINDER_CONF = textwrap.dedent(
    """\
    [DEFAULT]
    # managed by the operator; the formula must keep this line and the lvm backend
    auth_strategy = keystone
    enabled_backends = lvm

    [lvm]
    volume_group = cinder-volumes
    volume_driver = cinder.volume.drivers.lvm.LVMVolumeDriver
    """
)


def _simulated(backend):
    """Whether a backend's pillar names credentials and a loopback VIP (a simulated cluster)."""
    if not isinstance(backend, dict) or not {"san_ip", "san_login", "san_password"} <= set(backend):
        return False
    try:
        return ipaddress.ip_address(backend["san_ip"]).is_loopback
    except ValueError:
        return False


def state_tree(root):
    """A file_roots dir exposing the formula (SLS + loader dirs) by symlink."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("datera",) + LOADER_DIRS:
        link = root / name
        if not link.exists() and (REPO / name).exists():
            link.symlink_to(REPO / name)
    return root


def empty_cib(path, nodes):
    """A CIB file with the controllers as nodes and fencing off (no cluster runs here)."""
    env = dict(os.environ, CIB_file=str(path))
    path.write_text(
        subprocess.run(["cibadmin", "--empty"], check=True, capture_output=True, text=True).stdout
    )
    node_xml = "".join(f'<node id="{i}" uname="{n}"/>' for i, n in enumerate(nodes, start=1))
    subprocess.run(
        ["cibadmin", "--modify", "--scope", "nodes", "--xml-text", f"<nodes>{node_xml}</nodes>"],
        check=True,
        env=env,
        capture_output=True,
    )
    subprocess.run(
        ["crm_attribute", "--type", "crm_config", "--name", "stonith-enabled", "--update", "false"],
        check=True,
        env=env,
        capture_output=True,
    )
    return path


class Cloud:
    """Pillar and file layout of the simulated controllers."""

    def __init__(self, root, pillar_root, controllers, primary):
        self.root = root
        self.pillar_root = pillar_root
        self.controllers = list(controllers)
        self.primary = primary
        self.cib_file = root / "cib.xml"
        self.clusters = DateraClusters(root)

    def conf_file(self, minion_id):
        return self.root / minion_id / "etc" / "cinder" / "cinder.conf"

    def initiator_file(self, minion_id):
        return self.root / minion_id / "etc" / "iscsi" / "initiatorname.iscsi"

    def reset(self, seed=SEED_CINDER_CONF):
        """Fresh cinder.conf on every controller (old backups removed), an empty CIB and
        Datera clusters with no fault pending."""
        self.clusters.reset()
        for minion_id in self.controllers:
            shutil.rmtree(self.root / minion_id / "etc", ignore_errors=True)
            conf = self.conf_file(minion_id)
            conf.parent.mkdir(parents=True)
            conf.write_text(seed)
        empty_cib(self.cib_file, self.controllers)

    def join(self, minion_id, seed=SEED_CINDER_CONF):
        """A new controller: its own cinder.conf, and a node of the cluster (in the CIB)."""
        self.controllers.append(minion_id)
        conf = self.conf_file(minion_id)
        shutil.rmtree(conf.parent.parent, ignore_errors=True)
        conf.parent.mkdir(parents=True)
        conf.write_text(seed)
        node_id = max(int(n.get("id")) for n in self._nodes()) + 1
        self._cibadmin("--create", "--scope", "nodes", "--xml-text",
                       f'<node id="{node_id}" uname="{minion_id}"/>')  # fmt: skip

    def leave(self, minion_id):
        """A controller removed from the cloud and from the cluster (``crm_node --remove``
        does the same on a live cluster); its files stay as they were."""
        self.controllers.remove(minion_id)
        for xpath in (
            f"/cib/configuration/nodes/node[@uname='{minion_id}']",
            f"/cib/status/node_state[@uname='{minion_id}']",
        ):
            self._cibadmin("--delete", "--xpath", xpath)

    def _nodes(self):
        import xml.etree.ElementTree as ET

        return ET.parse(self.cib_file).getroot().findall("configuration/nodes/node")

    def _cibadmin(self, *args):
        env = dict(os.environ, CIB_file=str(self.cib_file))
        subprocess.run(["cibadmin", *args], check=True, env=env, capture_output=True)

    def minion_pillar(self, minion_id, role):
        return {
            "datera": {
                "role": role,
                # the simulated controllers have no cinder-volume of their own; the driver
                # check runs against the real cinder in tests/fidelity and test_preflight
                "cinder": {"conf_file": str(self.conf_file(minion_id)), "check_driver": False},
                "pacemaker": {"cib_file": str(self.cib_file), "node_name": minion_id},
                "iscsi": {"initiator_file": str(self.initiator_file(minion_id))},
                "lookup": {
                    "manage_packages": False,
                    "manage_services": False,
                    "ocf_dir": str(self.root / minion_id / "ocf" / "resource.d"),
                },
            }
        }

    def write_pillar(self, common, roles=None, node_overrides=None, with_roles=True, accept=True):
        """Write top.sls + one SLS per minion (role, paths) + the common ``datera`` pillar;
        ``node_overrides`` maps a minion id to extra ``datera`` cinder settings. With
        ``accept``, each backend's cluster (simulator at its ``san_ip``) accepts its
        credentials and the controllers verify its TLS certificate with the clusters' CA."""
        common = copy.deepcopy(common)
        backends = common.get("datera", {}).get("backends") or {}
        for name, backend in backends.items() if accept and isinstance(backends, dict) else ():
            if _simulated(backend):
                backends[name] = self.clusters.accept(backend)
        roles = roles or {
            m: "primary-controller" if m == self.primary else "controller" for m in self.controllers
        }
        top = {"base": {"*": ["common"]}}
        for minion_id, role in roles.items():
            top["base"][minion_id] = [f"node_{minion_id}"]
            node = self.minion_pillar(minion_id, role)
            node["datera"]["cinder"].update((node_overrides or {}).get(minion_id, {}))
            if not with_roles:  # the role comes from elsewhere (the Fuel ext_pillar)
                del node["datera"]["role"]
            self._dump(f"node_{minion_id}.sls", node)
        self._dump("common.sls", common)
        self._dump("top.sls", top)

    def _dump(self, name, data):
        (self.pillar_root / name).write_text(yaml.safe_dump(data, default_flow_style=False))

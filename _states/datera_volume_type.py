"""
Cinder volume types for Datera backends.

.. code-block:: yaml

    datera-volume-type:
      datera_volume_type.present:
        - name: datera               # the volume type users pick
        - backend: datera            # datera:backends key: volume_backend_name, replica count
        - replica_count: 3           # DF:replica_count (default: the backend's)
        - placement_mode: hybrid     # DF:placement_mode (or placement_policy on Datera 3.3+)
        - qos:
            total_iops_max: 5000     # DF:total_iops_max ...
        - extra_specs:
            DF:ip_pool: default      # any other spec, verbatim

The type is compared with Cinder's and only differences are changed; ``DF:*`` specs that
are not declared are removed (``prune: false`` keeps them). Cinder is reached with cinder's
own Keystone account (pillar ``datera:keystone``, or a ``keystone`` dict argument). Run it on
one controller (the primary): volume types are cluster-wide.

:depends: the ``datera_volume_type`` execution module
"""

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "datera_volume_type"


def __virtual__():
    if "datera_volume_type.ensure" in __salt__:
        return __virtualname__
    return False, "datera_volume_type: the datera_volume_type execution module is not available"


def _ret(name):
    return {"name": name, "result": False, "changes": {}, "comment": ""}


def present(
    name,
    backend=None,
    replica_count=None,
    placement_mode=None,
    placement_policy=None,
    qos=None,
    extra_specs=None,
    description=None,
    prune=True,
    keystone=None,
):
    """
    Ensure the Cinder volume type ``name`` selects the Datera backend ``backend``, with the
    ``DF:*`` extra specs given.

    name
        The volume type name.
    backend
        The backend (``datera:backends`` key); may be omitted when there is only one.
    replica_count, placement_mode, placement_policy, qos, extra_specs
        The type's Datera extra specs; see ``datera_volume_type.specs``.
    description
        The type's description.
    prune
        Remove ``DF:*`` extra specs not declared here (default ``True``).
    keystone
        Optional dict overriding ``datera:keystone`` (auth_url, user, password, project,
        user_domain, project_domain, interface, region, ca_bundle, verify, timeout).
    """
    ret = _ret(name)
    test = bool(__opts__.get("test"))
    try:
        wanted = __salt__["datera_volume_type.specs"](
            backend=backend,
            replica_count=replica_count,
            placement_mode=placement_mode,
            placement_policy=placement_policy,
            qos=qos,
            extra_specs=extra_specs,
        )
        outcome = __salt__["datera_volume_type.ensure"](
            name, wanted, description=description, prune=prune, keystone=keystone, test=test
        )
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret["comment"] = f"Volume type {name}: {exc}"
        return ret
    ret["changes"] = outcome["changes"]
    created = "volume_type" in outcome["changes"]
    if not outcome["changes"]:
        ret["result"] = True
        ret["comment"] = f"Volume type {name} is already as declared"
    elif test:
        ret["result"] = None
        ret["comment"] = f"Volume type {name} would be {'created' if created else 'updated'}"
    else:
        ret["result"] = True
        ret["comment"] = f"Volume type {name} {'created' if created else 'updated'}"
    return ret


def absent(name, keystone=None):
    """
    Ensure the Cinder volume type ``name`` does not exist (e.g. after a backend's removal).
    Cinder refuses while volumes use it; the state then fails with Cinder's reason.

    name
        The volume type name.

    keystone
        Optional dict overriding ``datera:keystone``.
    """
    ret = _ret(name)
    test = bool(__opts__.get("test"))
    try:
        existed = __salt__["datera_volume_type.delete"](name, keystone=keystone, test=test)
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret["comment"] = f"Volume type {name}: {exc}"
        return ret
    if not existed:
        ret["result"] = True
        ret["comment"] = f"Volume type {name} is already absent"
        return ret
    ret["changes"] = {"volume_type": {"old": name, "new": None}}
    ret["result"] = None if test else True
    ret["comment"] = f"Volume type {name} {'would be' if test else 'was'} deleted"
    return ret

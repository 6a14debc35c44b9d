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

    datera-volume-types-pruned:
      datera_volume_type.pruned:
        - backend: datera
        - keep: [datera]             # the types pillar declares; other marked types go

The type is compared with Cinder's and only differences are changed; ``DF:*`` specs that
are not declared are removed (``prune: false`` keeps them). Cinder is reached with cinder's
own Keystone account (pillar ``datera:keystone``, or a ``keystone`` dict argument). Run it on
one controller (the primary): volume types are cluster-wide.

Every type ``present`` makes carries the marker ``datera_formula:managed=true`` (an extra spec
the scheduler and the Datera driver ignore); ``pruned`` deletes the marked types of a backend
that are no longer declared, and never a type without the marker.

:depends: the ``datera_volume_type`` execution module
"""

import datera_state

__virtualname__ = "datera_volume_type"


def __virtual__():
    if "datera_volume_type.ensure" in __salt__:
        return __virtualname__
    return False, "datera_volume_type: the datera_volume_type execution module is not available"


def _call(ret, function, *args, **kwargs):
    """``datera_volume_type.<function>``'s answer; ``None`` with its error in ``ret``."""
    try:
        return __salt__[f"datera_volume_type.{function}"](*args, **kwargs)
    # TypeError: an argument of the state that datera_volume_type.specs does not take
    except (*datera_state.ERRORS, TypeError) as exc:
        ret["comment"] = f"Volume type {ret['name']}: {exc}"
    return None


def present(name, backend=None, description=None, prune=True, keystone=None, **spec):
    """
    Ensure the Cinder volume type ``name`` selects the Datera backend ``backend``, with the
    ``DF:*`` extra specs given and the formula's marker ``datera_formula:managed=true``.

    name
        The volume type name.
    backend
        The backend (``datera:backends`` key); may be omitted when there is only one.
    replica_count, placement_mode, placement_policy, qos, extra_specs
        The type's Datera extra specs: the arguments of ``datera_volume_type.specs``.
    description
        The type's description.
    prune
        Remove ``DF:*`` extra specs not declared here (default ``True``).
    keystone
        Optional dict overriding ``datera:keystone`` (auth_url, user, password, project,
        user_domain, project_domain, interface, region, ca_bundle, verify, timeout).
    """
    ret = datera_state.ret(name, result=False)
    test = bool(__opts__.get("test"))
    wanted = _call(ret, "specs", backend=backend, **spec)
    if wanted is None:
        return ret
    options = {"description": description, "prune": prune, "keystone": keystone, "test": test}
    outcome = _call(ret, "ensure", name, wanted, **options)
    if outcome is None:
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
    ret = datera_state.ret(name, result=False)
    test = bool(__opts__.get("test"))
    existed = _call(ret, "delete", name, keystone=keystone, test=test)
    if existed is None:
        return ret
    if not existed:
        ret["result"] = True
        ret["comment"] = f"Volume type {name} is already absent"
        return ret
    ret["changes"] = {"volume_type": {"old": name, "new": None}}
    ret["result"] = None if test else True
    ret["comment"] = f"Volume type {name} {'would be' if test else 'was'} deleted"
    return ret


def pruned(name, backend=None, keep=None, keystone=None):
    """
    Delete the volume types the formula made for ``backend`` (marker
    ``datera_formula:managed=true``) that are not in ``keep``: a type removed from pillar
    goes on the next run. Types without the marker (made by hand) are never touched. A type
    that volumes use is left as it is and fails the state, naming it.

    name
        A label for the state (the backend, for instance).
    backend
        The backend (``datera:backends`` key); may be omitted when there is only one.
    keep
        The names of the volume types pillar declares.
    keystone
        Optional dict overriding ``datera:keystone``.
    """
    ret = datera_state.ret(name, result=False)
    test = bool(__opts__.get("test"))
    outcome = _call(ret, "prune", backend=backend, keep=keep or [], keystone=keystone, test=test)
    if outcome is None:
        return ret
    deleted, refused = outcome["deleted"], outcome["refused"]
    ret["changes"] = {t: {"old": t, "new": None} for t in deleted}
    if refused:
        ret["result"] = False
    else:
        ret["result"] = None if test and deleted else True
    verb = "would be deleted" if test else "deleted"
    comments = [f"Undeclared volume types {verb}: {', '.join(deleted)}"] if deleted else []
    comments += [f"Volume type {t} not deleted: {reason}" for t, reason in refused.items()]
    ret["comment"] = "\n".join(comments) or "No undeclared volume type of the formula's"
    return ret

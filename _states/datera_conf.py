"""
State: the Datera backends in ``cinder.conf``.

.. code-block:: yaml

    datera-config-cinder-conf-managed:
      datera_conf.managed:
        - name: /etc/cinder/cinder.conf

The backends, the shared ``host``/``backend_host`` and the release come from the
``datera`` pillar (validated by ``datera_pillar``); secrets never leave the minion in
the state's return.
"""

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "datera_conf"


def __virtual__():
    if "datera_conf.apply" not in __salt__:
        return False, "the datera_conf execution module is not loaded"
    return __virtualname__


def managed(name):
    """
    Make ``name`` (a cinder.conf) hold every present Datera backend from pillar, drop
    absent ones, keep ``[DEFAULT] enabled_backends`` a comma list with every other
    backend kept, and leave every other byte as it was.

    name
        Path of cinder.conf.
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    try:
        if __opts__["test"]:
            plan = __salt__["datera_conf.check"](conf_file=name)
            if plan["in_sync"]:
                ret["comment"] = f"{name} already holds the Datera backends"
                return ret
            ret.update(result=None, changes=dict(plan["changes"], diff=plan["diff"]))
            ret["comment"] = f"{name} would be updated"
            return ret
        done = __salt__["datera_conf.apply"](conf_file=name)
    except (CommandExecutionError, SaltInvocationError) as err:
        ret.update(result=False, comment=str(err))
        return ret
    if not done["changes"]:
        ret["comment"] = f"{name} already holds the Datera backends"
        return ret
    ret["changes"] = dict(done["changes"], diff=done["diff"])
    ret["comment"] = f"{name} updated" + (
        f", previous version in {done['backup']}" if done["backup"] else ""
    )
    return ret


def legacy_absent(name):
    """
    Take the Datera backends the old Fuel plugin configured out of ``name`` (a node's
    cinder.conf): their sections and ``enabled_backends`` entries, or the driver's
    options in ``[DEFAULT]``; other backends and every other line are kept. The file as
    the plugin left it is kept beside it (``<name>.datera-legacy``).

    name
        Path of cinder.conf.
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    try:
        if __opts__["test"]:
            done = __salt__["datera_conf.legacy"](conf_file=name)
        else:
            done = __salt__["datera_conf.retire_legacy"](conf_file=name)
    except (CommandExecutionError, SaltInvocationError) as err:
        ret.update(result=False, comment=str(err))
        return ret
    if not done["changes"]:
        ret["comment"] = f"{name} holds no Datera backend of the old Fuel plugin"
        return ret
    ret["changes"] = dict(done["changes"], diff=done["diff"])
    if __opts__["test"]:
        ret.update(result=None, comment=f"the old plugin's Datera backend would leave {name}")
    else:
        ret["comment"] = f"the old plugin's Datera backend left {name} (as it was: {done['copy']})"
    return ret

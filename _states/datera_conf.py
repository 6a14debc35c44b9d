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

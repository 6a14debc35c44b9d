"""
State: the node has an iSCSI initiator name.

.. code-block:: yaml

    datera-iscsi-initiator-name:
      datera_iscsi.initiator_present:
        - name: /etc/iscsi/initiatorname.iscsi
"""

from salt.exceptions import CommandExecutionError

import datera_state

__virtualname__ = "datera_iscsi"


def __virtual__():
    if "datera_iscsi.initiator_name" not in __salt__:
        return False, "the datera_iscsi execution module is not loaded"
    return __virtualname__


def initiator_present(name, prefix="iqn.1993-08.org.debian:01"):
    """
    Make sure ``name`` (the initiator name file) holds an ``InitiatorName``; an existing
    one is never changed (the storage's ACLs refer to it).

    name
        Path of the initiator name file.
    prefix
        IQN prefix of a newly created name.
    """
    ret = datera_state.ret(name)
    try:
        current = __salt__["datera_iscsi.initiator_name"](name)
        if current:
            ret["comment"] = f"initiator name is {current}"
            return ret
        if __opts__["test"]:
            ret.update(result=None, comment=f"a new initiator name ({prefix}:...) would be written")
            ret["changes"] = {"InitiatorName": {"old": None, "new": f"{prefix}:<random>"}}
            return ret
        created = __salt__["datera_iscsi.create_initiator_name"](name, prefix)
    except CommandExecutionError as err:
        ret.update(result=False, comment=str(err))
        return ret
    ret["changes"] = {"InitiatorName": {"old": None, "new": created}}
    ret["comment"] = f"initiator name {created} written"
    return ret

"""
State: cinder's Datera driver can be imported on this controller (pre-flight).

.. code-block:: yaml

    datera-preflight-driver-importable:
      datera_cinder.driver_importable:
        - name: /usr/bin/python3
"""

from salt.exceptions import CommandExecutionError

import datera_state

__virtualname__ = "datera_cinder"


def __virtual__():
    if "datera_cinder.driver_check" not in __salt__:
        return False, "the datera_cinder execution module is not loaded"
    return __virtualname__


def driver_importable(name=""):
    """
    Fail, with the cause and the fix, when cinder's Datera driver cannot be imported by the
    interpreter that runs cinder-volume. Only reads: the same in ``test=True``.

    name
        The interpreter; empty for the one ``/usr/bin/cinder-volume`` names.
    """
    ret = datera_state.ret(name or "cinder-volume's python")
    try:
        found = __salt__["datera_cinder.driver_check"](name or None)
    except CommandExecutionError as err:
        ret.update(result=False, comment=str(err))
        return ret
    ret["comment"] = f"{found['driver']} imports with {found['python']}"
    return ret

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

import datera_state

__virtualname__ = "datera_conf"


def __virtual__():
    if "datera_conf.apply" not in __salt__:
        return False, "the datera_conf execution module is not loaded"
    return __virtualname__


def _edited(name, functions, unchanged, would, done_comment):
    """Salt's test-mode pattern for a cinder.conf edit: ``functions`` is ``(check, apply)``,
    both returning ``{"changes", "diff", ...}``; only ``apply`` writes."""
    ret = datera_state.ret(name)
    check, apply = functions
    try:
        done = __salt__[check if __opts__["test"] else apply](conf_file=name)
    except datera_state.ERRORS as err:
        ret.update(result=False, comment=str(err))
        return ret
    if not done["changes"]:
        ret["comment"] = unchanged
        return ret
    ret["changes"] = dict(done["changes"], diff=done["diff"])
    if __opts__["test"]:
        ret.update(result=None, comment=would)
    else:
        ret["comment"] = done_comment(done)
    return ret


def managed(name):
    """
    Make ``name`` (a cinder.conf) hold every present Datera backend from pillar, drop
    absent ones, keep ``[DEFAULT] enabled_backends`` a comma list with every other
    backend kept, and leave every other byte as it was.

    name
        Path of cinder.conf.
    """
    return _edited(
        name,
        ("datera_conf.check", "datera_conf.apply"),
        f"{name} already holds the Datera backends",
        f"{name} would be updated",
        lambda done: (
            f"{name} updated"
            + (f", previous version in {done['backup']}" if done["backup"] else "")
        ),
    )


def legacy_absent(name):
    """
    Take the Datera backends the old Fuel plugin configured out of ``name`` (a node's
    cinder.conf): their sections and ``enabled_backends`` entries, or the driver's
    options in ``[DEFAULT]``; other backends and every other line are kept. The file as
    the plugin left it is kept beside it (``<name>.datera-legacy``).

    name
        Path of cinder.conf.
    """
    return _edited(
        name,
        ("datera_conf.legacy", "datera_conf.retire_legacy"),
        f"{name} holds no Datera backend of the old Fuel plugin",
        f"the old plugin's Datera backend would leave {name}",
        lambda done: f"the old plugin's Datera backend left {name} (as it was: {done['copy']})",
    )

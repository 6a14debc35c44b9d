"""
The iSCSI initiator name a node attaches Datera volumes with.

Datera exports volumes over iSCSI: computes (and controllers, for image transfers) need
an initiator name in ``/etc/iscsi/initiatorname.iscsi``. Packages are installed out of
the box without one on some images; this module reads it, or creates a unique one.

:depends: nothing beyond Salt
"""

import logging
import os
import re
import secrets

from salt.exceptions import CommandExecutionError

log = logging.getLogger(__name__)

__virtualname__ = "datera_iscsi"

_NAME_LINE = re.compile(r"^\s*InitiatorName\s*=\s*(\S+)\s*$", re.M)


def __virtual__():
    return __virtualname__


def initiator_name(path="/etc/iscsi/initiatorname.iscsi"):
    """
    Return this node's iSCSI initiator name, or ``None`` when there is none yet.

    path
        The initiator name file.

    CLI Example:

    .. code-block:: bash

        salt 'cmp*' datera_iscsi.initiator_name
    """
    try:
        with open(path, encoding="utf-8") as handle:
            match = _NAME_LINE.search(handle.read())
    except FileNotFoundError:
        return None
    except OSError as err:
        raise CommandExecutionError(f"cannot read {path}: {err.strerror}") from None
    return match.group(1) if match else None


def create_initiator_name(
    path="/etc/iscsi/initiatorname.iscsi", prefix="iqn.1993-08.org.debian:01"
):
    """
    Write a new unique initiator name (``<prefix>:<12 hex digits>``) unless one exists.

    Returns the name in the file afterwards.

    CLI Example:

    .. code-block:: bash

        salt 'cmp*' datera_iscsi.create_initiator_name
    """
    existing = initiator_name(path)
    if existing:
        return existing
    name = f"{prefix}:{secrets.token_hex(6)}"
    directory = os.path.dirname(path)
    try:
        os.makedirs(directory, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(f"## Written by the datera formula (salt)\nInitiatorName={name}\n")
    except OSError as err:
        raise CommandExecutionError(f"cannot write {path}: {err.strerror}") from None
    log.info("datera_iscsi: created initiator name %s in %s", name, path)
    return name

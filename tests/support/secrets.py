"""
Every secret the test suite hands to the formula, and every one the simulators hand out.
At the end of a session that started a salt-master, all its logs and job returns, and those
of its minions, are searched for each of them (``tests/support/leak_scan.py``): none may
appear.
"""

DEPLOY = "Int3gration-Secret"
CONVERGE = "Conv-Secret"
LOCAL = "Local-Secret"
DEMO = "Demo-Passw0rd"
ROTATED = "Rotated-Secret-2"
KEYSTONE = "Keystone-Secret-1"
FUEL = "Fuel-Plugin-Secret"
API = "Api-Secret-7"
WRONG = "Typo-In-New-Secret-3"
OPENSTACK = "Cloud-Admin-Secret-5"  # the e2e control plane: admin, database, broker

ALL = (DEPLOY, CONVERGE, LOCAL, DEMO, ROTATED, KEYSTONE, FUEL, API, WRONG, OPENSTACK)

ISSUED = set()  # Datera session keys and Keystone tokens the simulators gave out


def issued(value):
    """Remember a credential a simulator gave out; return it."""
    ISSUED.add(value)
    return value


def all_known():
    return (*ALL, *sorted(ISSUED))

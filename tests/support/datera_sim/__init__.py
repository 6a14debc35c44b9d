"""
A Datera (DFS/EDF) REST API simulator for tests: see ``server.DateraSimulator``.

.. code-block:: python

    from tests.support.datera_sim import DateraSimulator

    with DateraSimulator(users={"admin": "password"}, versions=("v2.1", "v2.2")) as sim:
        sim.host, sim.http_port, sim.https_port, sim.ca_pem_path, sim.cert_fingerprint
        sim.requests, sim.count("GET", "/v2.2/system"), sim.reset_counts()
        sim.faults.status_for_next(503, n=3); sim.faults.delay(0.5, n=1)
        sim.faults.expire_tokens(); sim.faults.expire_tokens_on("POST", "/v2.2/app_instances")
        sim.faults.refuse_login(True)
        sim.state.app_instances["/root"]   # {id: app instance}

Its answers are checked against the product's schema (``validate_responses``, on by default):
one the product would not give, or anything a request raises, is a 500 naming it.
"""

from .errors import ApiError
from .faults import Faults
from .server import DateraSimulator
from .state import State

__all__ = ["ApiError", "DateraSimulator", "Faults", "State"]

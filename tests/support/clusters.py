"""
Simulated Datera clusters for the integration tests and the demo: one API simulator per
management VIP, each on its own loopback address and the real port (HTTPS 7718), all with
certificates from one throw-away CA, so the controllers verify TLS with one CA bundle.
"""

import trustme

from tests.support.datera_sim import DateraSimulator

HTTPS_PORT = 7718


class DateraClusters:
    """Start clusters on demand (``cluster(ip)``) and give the pillar of a backend on one."""

    def __init__(self, root):
        self.ca = trustme.CA()
        self.ca_bundle = root / "datera-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_bundle))
        self._sims = {}

    def cluster(self, ip, http_port=0):
        """The simulator answering on ``ip`` (started the first time it is asked for; plain
        HTTP on ``http_port``, any free port by default)."""
        if ip not in self._sims:
            sim = DateraSimulator(
                host=ip, http_port=http_port, https_port=HTTPS_PORT, users={}, tls_cert=self.ca
            )
            self._sims[ip] = sim.start()
        return self._sims[ip]

    def backend(self, ip, password, login="admin", **options):
        """Backend pillar for a cluster on ``ip`` that accepts ``login``/``password``."""
        return self.accept({"san_ip": ip, "san_login": login, "san_password": password, **options})

    def accept(self, backend):
        """Make the cluster at the backend's ``san_ip`` accept its credentials; return the
        backend with ``api:ca_bundle`` set to the clusters' CA (unless it names one)."""
        self.cluster(backend["san_ip"]).state.users[backend["san_login"]] = backend["san_password"]
        api = dict(backend.get("api") or {})
        api.setdefault("ca_bundle", str(self.ca_bundle))
        return dict(backend, api=api)

    def reset(self):
        """Forget requests, faults and volumes of every cluster (logins stay)."""
        for sim in self._sims.values():
            sim.faults.reset()
            sim.reset_counts()

    def stop(self):
        for sim in self._sims.values():
            sim.stop()
        self._sims.clear()

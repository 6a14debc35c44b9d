"""
Part 4, the API client in-process: requests, logins and TCP connections (counted at the
simulator) per ``datera.smoke_test`` and per ``datera.system`` (what the pre-flight's
``datera.healthy`` calls once per Salt run), in three modes:

- ``reuse``: as shipped: one login and one keep-alive HTTPS session per Salt run
  (cached in ``__context__``);
- ``fresh_context``: a fresh ``__context__`` for every public function call (a new session
  and a new login per call, keep-alive inside the call);
- ``no_reuse``: fresh ``__context__`` per call and no keep-alive (the session's connections
  closed after every response): each request its own TCP connection and TLS handshake.
"""

import secrets
import time

import pytest
import requests

from tests.bench import harness as h
from tests.support import loaders
from tests.support.datera_sim import DateraSimulator

RUNS = 3 if h.QUICK else 7
MODES = ("reuse", "fresh_context", "no_reuse")


class _ForgetfulContext(dict):
    """A ``__context__`` that keeps nothing: every ``_connection`` builds a new one."""

    def setdefault(self, key, default=None):
        return default


class _ClosingSession(requests.Session):
    """Closes its connections after every response (client-side: the simulator does not
    answer ``Connection: close`` with the same header, so urllib3 would reuse a socket
    the server is closing)."""

    def request(self, *args, **kwargs):
        response = super().request(*args, **kwargs)
        response.content  # noqa: B018 - read the body before the socket goes
        self.close()
        return response


@pytest.fixture(scope="module")
def api_sim():
    password = "Bench-" + secrets.token_urlsafe(18)
    with DateraSimulator(host=h.SIM_HOST, https_port=0, users={"admin": password}) as sim:
        sim.bench_connections = h.ConnectionCounter(sim)
        sim.bench_password = password
        yield sim


def _run(module, mode, func, kwargs, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(
            module, "__context__", {} if mode == "reuse" else _ForgetfulContext(), raising=False
        )
        if mode == "no_reuse":  # the client is _utils/datera_api.py
            patch.setattr(loaders.load("utils", "datera_api").requests, "Session", _ClosingSession)
        return getattr(module, func)(**kwargs)


def bench_api_client(api_sim, monkeypatch):
    module = loaders.load("modules", "datera")
    sim, counter = api_sim, api_sim.bench_connections
    kwargs = {
        "san_ip": sim.host,
        "san_login": "admin",
        "san_password": sim.bench_password,
        "port": sim.https_port,
        "ca_bundle": sim.ca_pem_path,
    }
    results = {}
    for func, extra in (("system", {}), ("smoke_test", {"poll": 0.05})):
        call = dict(kwargs, **extra)
        _run(module, "reuse", func, call, monkeypatch)  # warm-up: imports, CA bundle, threads
        seconds = {mode: [] for mode in MODES}
        usage = {}
        for _ in range(RUNS):
            for mode in MODES:  # interleaved, so drift on a shared machine hits every mode
                h.reset_api(sim, counter)
                started = time.perf_counter()
                _run(module, mode, func, call, monkeypatch)
                seconds[mode].append(time.perf_counter() - started)
                usage[mode] = h.api_usage(sim, counter)
        results[func] = {}
        for mode in MODES:
            median = h.median(seconds[mode])
            results[func][mode] = {"runs": RUNS, "median_seconds": median, **usage[mode]}
            print(
                f"[bench] datera.{func} ({mode}): {usage[mode]['requests']} requests, "
                f"{usage[mode]['logins']} logins, {usage[mode]['connections']} connections, "
                f"median {median * 1000:.0f} ms",
                flush=True,
            )
    h.save("api", results)

"""The HTTP (7717-style) and HTTPS (7718-style) servers around ``Api``, and ``DateraSimulator``."""

import hashlib
import json
import logging
import os
import socket
import ssl
import sys
import tempfile
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from .api import VERSIONS, Api
from .errors import ApiError
from .faults import INITIALIZING, Faults
from .state import State

LOGIN_PATHS = ("/login", "/logout")
# a client refusing the TLS handshake, a connection reset by the peer or cut short
EXPECTED_DISCONNECTS = (ssl.SSLError, ConnectionError)
log = logging.getLogger(__name__)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60  # an idle keep-alive connection is closed after this
    wbufsize = 1 << 16  # headers and body leave in one write (no Nagle/delayed-ACK stall)
    sim = None  # set per server subclass

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass

    def _dispatch(self):
        try:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            status, payload = self.sim._serve(self.command, self.path, self.headers, raw)
            data = json.dumps(payload).encode()
        except EXPECTED_DISCONNECTS:
            raise
        except Exception as exc:
            status, data = 500, json.dumps(crash_body(self.command, self.path, exc)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _dispatch


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, handler, tls_context=None):
        super().__init__(address, handler)
        self.tls_context = tls_context
        self.open_sockets = set()
        self.sockets_lock = threading.Lock()

    def get_request(self):
        conn, addr = super().get_request()
        if self.tls_context is not None:  # handshake later, in the handler's thread
            conn = self.tls_context.wrap_socket(
                conn, server_side=True, do_handshake_on_connect=False
            )
        with self.sockets_lock:
            self.open_sockets.add(conn)
        return conn, addr

    def shutdown_request(self, request):
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], EXPECTED_DISCONNECTS):
            log.error("datera-sim: connection from %s failed", client_address, exc_info=True)

    def close_all(self):
        with self.sockets_lock:
            sockets, self.open_sockets = list(self.open_sockets), set()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


class DateraSimulator:
    """
    A Datera cluster's REST API (v2.1 and v2.2) on real sockets: plain HTTP on ``http_port``
    and HTTPS on ``https_port`` (0 = any free port) with a throw-away CA from trustme.

    .. code-block:: python

        with DateraSimulator(users={"admin": "password"}) as sim:
            requests.put(f"https://{sim.host}:{sim.https_port}/v2.2/login",
                         json={"name": "admin", "password": "password"}, verify=sim.ca_pem_path)
            sim.count("PUT", "/v2.2/login")        # 1
            sim.faults.status_for_next(503, n=2)

    ``users`` maps login names to passwords (default ``{"admin": "password"}``). ``tls_cert``
    may be a ``trustme.LeafCert`` to serve (pass its CA as ``tls_ca`` to get ``ca_pem_path``)
    or a ``trustme.CA`` to issue from; by default a fresh CA issues a certificate for ``host``,
    ``localhost`` and 127.0.0.1. ``requests`` holds ``(method, path)`` as received, query
    string included; ``log`` holds one dict per request (headers lower-cased, body parsed,
    login bodies masked, status). ``state`` is the cluster (``state.State``) and can be
    changed directly, e.g. ``state.session_ttl`` or ``state.snapshot_pending_reads``.

    ``versions`` are the API versions the cluster serves and lists at ``/api_versions``
    (default v2.1 and v2.2); any other answers 404 as the product does. With
    ``validate_responses`` (the default) a successful answer that does not conform to the
    product's ``returnParamSchema`` is a 500 naming the violations (``api.Api``). Anything a
    request raises unexpectedly answers 500 with an ``InternalError`` body naming the
    exception (the traceback in ``debug``) and is logged on the ``tests.support.datera_sim``
    loggers.
    """

    def __init__(
        self,
        host="127.0.0.1",
        http_port=0,
        https_port=0,
        users=None,
        tls_cert=None,
        tls_ca=None,
        versions=VERSIONS,
        validate_responses=True,
    ):
        self.host = host
        self._ports = (http_port, https_port)
        self.state = State(users or {"admin": "password"})
        self.api = Api(self.state, versions, validate_responses)
        self.faults = Faults()
        self.faults._expire = self._expire_tokens
        self.requests = []  # (method, path as received, query included)
        self.log = []  # dicts: method, path, query, headers, body, status
        self._log_lock = threading.Lock()
        self._servers = []
        self._tmpdir = None
        self.ca_pem_path = None
        self.cert_fingerprint = None
        self._tls_cert, self._tls_ca = tls_cert, tls_ca

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self):
        context = self._tls_context()
        for port, tls in ((self._ports[0], None), (self._ports[1], context)):
            handler = type("DateraHandler", (_Handler,), {"sim": self})
            server = _Server((self.host, port), handler, tls)
            thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
            thread.start()
            self._servers.append(server)
        return self

    def stop(self):
        stoppers = [threading.Thread(target=s.shutdown) for s in self._servers]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join()
        for server in self._servers:
            server.server_close()
            server.close_all()
        self._servers = []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    @property
    def http_port(self):
        return self._servers[0].server_address[1]

    @property
    def https_port(self):
        return self._servers[1].server_address[1]

    def url(self, version="v2.2", scheme="https"):
        port = self.https_port if scheme == "https" else self.http_port
        return f"{scheme}://{self.host}:{port}/{version}"

    def _tls_context(self):
        import trustme

        leaf, ca = self._tls_cert, self._tls_ca
        if isinstance(leaf, trustme.CA):
            leaf, ca = None, leaf
        if leaf is None:
            ca = ca or trustme.CA()
            leaf = ca.issue_cert(self.host, "localhost", "127.0.0.1")
        if ca is not None:
            self._tmpdir = self._tmpdir or tempfile.TemporaryDirectory(prefix="datera-sim-")
            self.ca_pem_path = os.path.join(self._tmpdir.name, "ca.pem")
            ca.cert_pem.write_to_path(self.ca_pem_path)
        der = ssl.PEM_cert_to_DER_cert(leaf.cert_chain_pems[0].bytes().decode())
        digest = hashlib.sha256(der).hexdigest().upper()
        self.cert_fingerprint = ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        leaf.configure_cert(context)
        return context

    # --- bookkeeping --------------------------------------------------------------------------

    def count(self, method=None, path_prefix=None):
        """How many requests matched ``method`` and started with ``path_prefix``."""
        with self._log_lock:
            return sum(
                1
                for m, p in self.requests
                if (method is None or m == method)
                and (path_prefix is None or p.startswith(path_prefix))
            )

    def reset_counts(self):
        with self._log_lock:
            self.requests.clear()
            self.log.clear()

    def _expire_tokens(self):
        with self.state.lock:
            self.state.sessions.clear()

    # --- one request --------------------------------------------------------------------------

    def _serve(self, method, target, headers, raw):
        split = urlsplit(target)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        entry = {
            "method": method,
            "path": split.path,
            "query": query,
            "headers": {k.lower(): v for k, v in headers.items()},
            "body": None,
            "status": None,
        }
        with self._log_lock:
            self.requests.append((method, target))
            self.log.append(entry)
        version, _, rest = split.path.lstrip("/").partition("/")
        path = "/" + rest.rstrip("/")
        try:
            body = _parse_body(raw)
            entry["body"] = body if path not in LOGIN_PATHS else "******"
            if self.faults.take_expiry(method, split.path):
                self._expire_tokens()
            status, payload = self._answer(method, version, path, query, headers, body)
        except ApiError as exc:
            status, payload = exc.status, exc.body()
        except Exception as exc:
            status, payload = 500, crash_body(method, target, exc)
        delay = self.faults.take_delay()
        if delay:
            time.sleep(delay)
        entry["status"] = status
        return status, payload

    def _answer(self, method, version, path, query, headers, body):
        if version == "api_versions" and path == "/":
            return 200, {"api_versions": list(self.api.versions)}
        injected = self.faults.take_status(path in LOGIN_PATHS)
        if injected:
            status, message = injected
            if status == 500 and message is None:
                message = INITIALIZING
            name = "InternalError" if status == 500 else "ServiceUnavailableError"
            if status not in (500, 503):
                name = "InvalidSessionKeyError" if status == 401 else "InternalError"
            raise ApiError(status, name, message or f"Injected fault: HTTP {status}")
        if path == "/login" and method == "PUT" and self.faults.login_refused:
            raise ApiError(401, "AuthFailedError", "Login refused")
        return self.api.handle(method, "v" + version.lstrip("v"), path, query, headers, body)


def crash_body(method, target, exc):
    """Log what ``method target`` raised and return the 500 body that names it."""
    log.exception("datera-sim: %s %s raised", method, target)
    message = f"Simulator bug: {type(exc).__name__}: {exc}"
    return ApiError(500, "InternalError", message, debug=traceback.format_exc()).body()


def _parse_body(raw):
    """JSON (``null`` and empty allowed) or, as go-sdk's login sends, form-encoded."""
    text = raw.decode("utf-8", "replace").strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        pairs = parse_qsl(text, strict_parsing=False)
        if pairs and "=" in text:
            return dict(pairs)
        raise ApiError(400, "InvalidRequestError", "The request body is not JSON") from None

"""Fault injection for the Datera simulator."""

import threading

INITIALIZING = "REST server is still initializing"


class Faults:
    """What goes wrong next. Thread-safe; ``sim.faults`` is one of these."""

    def __init__(self):
        self._lock = threading.Lock()
        self._statuses = []  # [(status, message, include_login)]
        self._delays = []  # seconds, one per next response
        self._expiries = []  # [(method, path_prefix)]
        self.login_refused = False
        self._expire = None  # set by the simulator

    def status_for_next(self, status, n=1, message=None, include_login=False):
        """The next ``n`` requests (login and logout excluded unless ``include_login``) answer
        ``status``. A 500 says "REST server is still initializing" unless ``message`` is given
        (clients retry on that one); other statuses get a generic message."""
        with self._lock:
            self._statuses.extend([(int(status), message, include_login)] * n)

    def delay(self, seconds, n=1):
        """Delay the next ``n`` responses by ``seconds`` each."""
        with self._lock:
            self._delays.extend([float(seconds)] * n)

    def expire_tokens(self):
        """Every session key issued so far answers 401 from now on (new logins work)."""
        self._expire()

    def expire_tokens_on(self, method, path_prefix):
        """Once, when a ``method`` request whose path (version included, as in ``sim.count``)
        starts with ``path_prefix`` arrives, every session key issued so far expires first:
        that request answers 401, mid-session, and the client must log in again."""
        with self._lock:
            self._expiries.append((method, path_prefix))

    def refuse_login(self, flag=True):
        """Login answers 401 AuthFailedError, even with the right credentials."""
        self.login_refused = bool(flag)

    def reset(self):
        with self._lock:
            self._statuses.clear()
            self._delays.clear()
            self._expiries.clear()
            self.login_refused = False

    # --- used by the server -----------------------------------------------------------------

    def take_status(self, is_login):
        """The injected ``(status, message)`` for this request, or None."""
        with self._lock:
            for i, (status, message, include_login) in enumerate(self._statuses):
                if not is_login or include_login:
                    del self._statuses[i]
                    return status, message
        return None

    def take_expiry(self, method, path):
        """Whether this request expires the session keys first."""
        with self._lock:
            for i, (wanted, prefix) in enumerate(self._expiries):
                if wanted == method and path.startswith(prefix):
                    del self._expiries[i]
                    return True
        return False

    def take_delay(self):
        with self._lock:
            return self._delays.pop(0) if self._delays else 0.0

    @property
    def pending(self):
        with self._lock:
            return len(self._statuses)

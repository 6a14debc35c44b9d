"""Datera error bodies (``datera-api-spec.md`` section 6). Numeric ``code`` values are invented."""

import itertools
import time
import uuid

CODES = {
    "AuthFailedError": 1,
    "InvalidSessionKeyError": 2,
    "PermissionDeniedError": 3,
    "NotFoundError": 4,
    "InvalidRouteError": 5,
    "ValidationFailedError": 6,
    "InvalidRequestError": 7,
    "ConflictError": 8,
    "InternalError": 9,
    "ServiceUnavailableError": 10,
}
SESSION_MESSAGE = "The key provided with the request does not correspond to a valid session."
NODE_UUID = str(uuid.UUID(int=0x75F2CAE45C7745ED8B4EB46E7236A8EB))
_REQ_IDS = itertools.count(1000)


class ApiError(Exception):
    """Raised anywhere in the simulator; the server turns it into the error response."""

    def __init__(self, status, name, message, errors=None, debug=""):
        super().__init__(message)
        self.status, self.name, self.message, self.errors = status, name, message, errors
        self.debug = debug

    def body(self):
        body = {
            "name": self.name,
            "code": CODES.get(self.name, 99),
            "http": self.status,
            "message": self.message,
            "debug": self.debug,
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "api_req_id": next(_REQ_IDS),
            "storage_node_uuid": NODE_UUID,
            "storage_node_hostname": "sim-node-1",
        }
        if self.errors is not None:
            body["errors"] = list(self.errors)
        return body


def not_found(path):
    return ApiError(404, "NotFoundError", f"No data at {path}")


def invalid(message, errors=None):
    """422 ValidationFailedError, with an ``errors`` list."""
    return ApiError(422, "ValidationFailedError", message, errors or [message])


def conflict(message):
    return ApiError(409, "ConflictError", message)


def bad_request(message):
    return ApiError(400, "InvalidRequestError", message)

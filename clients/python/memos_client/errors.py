"""memosd's errors as exceptions: one class per stable error name (docs/protocol.md)."""

__all__ = [
    "MemosError", "MemosUnavailable", "UntrustedServer", "ProtocolError", "ParseError", "InvalidRequest",
    "MethodNotFound", "InvalidParams", "InternalError", "NotFound", "VersionConflict", "PermissionDenied",
    "PayloadTooLarge", "Busy", "InvalidState", "Gone", "Unavailable", "StorageFull", "error_from_reply",
]


class MemosError(Exception):
    """An error from memosd (or on the way to it).

    `code` and `name` are memosd's stable error code and name; `field` the
    param at fault (`params.items[2].text`), `data` the whole error data.
    """

    code = None
    name = None

    def __init__(self, message, code=None, name=None, data=None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if name is not None:
            self.name = name
        self.data = data or {}

    @property
    def field(self):
        return self.data.get("field")


class MemosUnavailable(MemosError):
    """memosd is not running at the socket path (or cannot be reached)."""


class UntrustedServer(MemosError):
    """The socket is served by another user; nothing was sent."""


class ProtocolError(MemosError):
    """A reply memosd should never send, or a connection lost mid-reply."""


class ParseError(MemosError):
    code, name = -32700, "parse_error"


class InvalidRequest(MemosError):
    code, name = -32600, "invalid_request"


class MethodNotFound(MemosError):
    code, name = -32601, "method_not_found"


class InvalidParams(MemosError):
    code, name = -32602, "invalid_params"


class InternalError(MemosError):
    code, name = -32603, "internal_error"


class NotFound(MemosError):
    code, name = -32001, "not_found"


class VersionConflict(MemosError):
    code, name = -32002, "version_conflict"


class PermissionDenied(MemosError):
    code, name = -32003, "permission_denied"


class PayloadTooLarge(MemosError):
    code, name = -32004, "payload_too_large"


class Busy(MemosError):
    code, name = -32005, "busy"


class InvalidState(MemosError):
    code, name = -32006, "invalid_state"


class Gone(MemosError):
    code, name = -32007, "gone"


class Unavailable(MemosError):
    code, name = -32008, "unavailable"


class StorageFull(MemosError):
    code, name = -32009, "storage_full"


_BY_NAME = {cls.name: cls for cls in MemosError.__subclasses__() if cls.name}


def error_from_reply(error):
    """The exception for a JSON-RPC error object from memosd."""
    data = error.get("data") or {}
    cls = _BY_NAME.get(data.get("name"), MemosError)
    return cls(error.get("message", "memosd error"), code=error.get("code"), name=data.get("name"), data=data)

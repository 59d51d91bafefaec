"""memos-client: memosd's protocol from Python (standard library only)."""

from .client import MemosClient, default_socket_path
from .errors import *  # noqa: F401,F403
from .errors import __all__ as _errors

__version__ = "0.1.0"
__all__ = ["MemosClient", "default_socket_path", "__version__"] + list(_errors)

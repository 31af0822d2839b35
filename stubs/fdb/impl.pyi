# Loading this module loads libfdb_c; the binding's C handle and classes are untyped.
from typing import Any

_capi: Any

def __getattr__(name: str) -> Any: ...

"""Keys: FoundationDB's tuple layer and subspaces, usable without libfdb_c.

`fdb.tuple` only touches `fdb.impl` to unwrap a future in `Versionstamp.to_bytes`; importing
`fdb.impl` loads libfdb_c, which the embedded backend does not have. When it is absent we
register a stand-in module whose `Value` no object is an instance of, so the tuple layer
behaves exactly as it does with the client library loaded.
"""

from __future__ import annotations

import sys
import types

import fdb

try:  # pragma: no cover - depends on whether libfdb_c is installed
    import fdb.impl  # noqa: F401
except Exception:  # libfdb_c missing: OSError or the binding's own Exception
    _stand_in = types.ModuleType("fdb.impl")

    class _NoFuture:  # no value is ever an instance: nothing to unwrap
        pass

    _stand_in.Value = _NoFuture  # type: ignore[attr-defined]
    sys.modules["fdb.impl"] = _stand_in
    fdb.impl = _stand_in  # type: ignore[attr-defined]

from fdb import tuple as fdb_tuple  # noqa: E402
from fdb.subspace_impl import Subspace  # noqa: E402

pack = fdb_tuple.pack
unpack = fdb_tuple.unpack
pack_with_versionstamp = fdb_tuple.pack_with_versionstamp
Versionstamp = fdb_tuple.Versionstamp

__all__ = ["Subspace", "Versionstamp", "pack", "pack_with_versionstamp", "unpack"]

"""Store values are JSON written by msgspec: decimals as strings, times in ISO 8601."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

T = TypeVar("T")

_encoder = msgspec.json.Encoder(decimal_format="string")
_decoders: dict[type[Any], msgspec.json.Decoder[Any]] = {}  # each decodes to its key


def encode(value: object) -> bytes:
    return _encoder.encode(value)


def decode(data: bytes, kind: type[T]) -> T:
    decoder: msgspec.json.Decoder[T] | None = _decoders.get(kind)  # the one made for `kind`
    if decoder is None:
        decoder = _decoders[kind] = msgspec.json.Decoder(kind)
    return decoder.decode(data)

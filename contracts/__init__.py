"""The platform's messages, one definition each: look a topic up in `contracts.registry.TOPICS`.

Every Kafka topic and every Celery command has one versioned, frozen msgspec struct here
(`contracts/venue.py`, `contracts/trading.py`, `contracts/ledger.py`), carried in the envelope
of `contracts/envelope.py`. Producers encode and consumers decode through `contracts.registry`,
which validates at decode (types, decimal precision, required fields) and raises `Refused` with
the reason. The JSON Schemas in `contracts/schemas/` are generated from these structs
(`python -m contracts.schemas`) and checked for backward compatibility by the tests.

This package imports no context (trading, ledger, venues, realtime, backoffice, infra): every
context may import it.
"""

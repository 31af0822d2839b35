"""The venue simulator: an external venue (SIM-A, SIM-B over HTTP; SIM-F over FIX 4.4) in its own
process. See PROTOCOL.md.

Nothing in the platform imports this package: adapters reach it over the network only. Its FIX
acceptor imports venues/adapters/fix/wire.py, which imports nothing of the platform.
"""

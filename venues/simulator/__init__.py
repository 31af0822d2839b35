"""The venue simulator: an external venue (SIM-A, SIM-B) in its own process. See PROTOCOL.md.

Nothing in the platform imports this package: adapters reach it over the network only.
"""

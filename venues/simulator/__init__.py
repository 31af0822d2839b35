"""The venue simulator: an external venue (SIM-A, SIM-B) in its own process. See PROTOCOL.md."""

"""Reconciliation with the venues: the venue, not our memory, knows what happened to an attempt."""

"""The projector's metrics (its own process; `run_projector --metrics-port` serves them)."""

from prometheus_client import Gauge

PROJECTOR_LAG = Gauge(
    "backoffice_projector_lag_seconds",
    "Age of the newest event the back-office projector applied, when it applied it "
    "(from the envelope's created_at)",
)

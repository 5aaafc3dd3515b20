"""What hfgate tells about itself: Prometheus metrics, the per-request scope they are labelled from,
optional OpenTelemetry traces, and its logs (one JSON object per line, :mod:`~hfgate.telemetry.logs`).
Sits at the bottom of the import graph, next to ``config``."""

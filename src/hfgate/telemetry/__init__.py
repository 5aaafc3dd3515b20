"""What hfgate tells about itself: Prometheus metrics, the per-request scope they are labelled from,
and optional OpenTelemetry traces. Sits at the bottom of the import graph, next to ``config``."""

"""The gate's HTTP client: the target's public API, a bounded latency burst, 1C checkauth."""

from gate.http.api import ApiClient, Burst, burst, checkauth

__all__ = ["ApiClient", "Burst", "burst", "checkauth"]

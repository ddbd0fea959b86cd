"""The gate's own reading of a 1C CommerceML package (never the backend's parser)."""

from gate.onec.package import OnecPackage, read_package

__all__ = ["OnecPackage", "read_package"]

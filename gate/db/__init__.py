"""Reading the target database: read-only connections, fingerprints, snapshots."""

"""Models on this machine: resolve a ``model:`` reference (a folder, a bundled model, a hub id in
the local cache) to files and a fingerprint of their contents; list and pull hub models."""

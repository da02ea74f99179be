"""The package version: a leaf module anyone may import without cycles."""

__version__ = "0.1.0"

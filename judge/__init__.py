"""judge: small models as judges of LLM outputs."""

__version__ = "0.1.0"

__all__ = ["__version__"]

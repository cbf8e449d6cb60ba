"""hwgen: low-precision arithmetic hardware generators with a bit-exact golden model."""

__version__ = "0.1.0"

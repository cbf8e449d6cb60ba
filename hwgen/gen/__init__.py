"""Amaranth generators: MAC units and their building blocks (import the registry, never the golden model)."""

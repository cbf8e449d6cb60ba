"""Measured results: the SQLite store of synthesis and place-and-route rows (no Amaranth, no cocotb)."""

from hwgen.results.store import COLUMNS, RESULT_COLUMNS, VOLATILE_COLUMNS, ResultStore, content_key

__all__ = ["COLUMNS", "RESULT_COLUMNS", "VOLATILE_COLUMNS", "ResultStore", "content_key"]

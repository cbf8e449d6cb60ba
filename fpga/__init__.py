"""Yosys / nextpnr flow templates, constraints and board harnesses (imported as hwgen.fpga)."""

"""How a harness toplevel is driven, the same by the cocotb test and by the direct drivers."""

CLOCK_NS = 10
RESET_CYCLES = 2  # rising edges with rst high; rst falls at the falling edge after them

"""cocotb drivers, monitors, test modules and runner glue (imported as hwgen.sim)."""

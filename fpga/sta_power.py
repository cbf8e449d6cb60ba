"""OpenSTA for the power flow: the SDF delays the gate-level simulation runs with, and OpenSTA's own
``report_power`` for comparison.

Every run starts from static timing's script up to its reports (the *prologue*: library, netlist,
clock and port constraints), so the delays and the power are those of the timed netlist.
"""

from dataclasses import dataclass
from pathlib import Path

from hwgen.fpga.asic import StaError, run_sta, tcl_word
from hwgen.fpga.mapped_netlist import MappedNetlist
from hwgen.fpga.netlist_sim import NetActivity

SDF_SCRIPT = "power_sdf.tcl"
SDF_FILE = "power.sdf"
ACTIVITY_TCL = "power_activity.tcl"
POWER_SCRIPT = "power.tcl"
POWER_REPORT = "power.rpt"
STA_LOG = "power_sta.log"


@dataclass(frozen=True)
class StaPower:
    """OpenSTA's ``report_power`` of a design or one instance (W)."""

    internal_w: float
    switching_w: float
    leakage_w: float


def parse_power_totals(text: str) -> StaPower:
    """Internal, switching and leakage power of the ``Total`` row of ``report_power``."""
    header = next((line.split() for line in text.splitlines() if "Leakage" in line.split()), None)
    total = next((line.split() for line in text.splitlines() if line.split()[:1] == ["Total"]), None)
    if header is None or total is None:
        raise ValueError("power report has no 'Leakage' column or no 'Total' row")
    columns = [word for word in header if word != "Group"]
    try:
        return StaPower(*(float(total[1 + columns.index(name)])
                          for name in ("Internal", "Switching", "Leakage")))
    except (IndexError, ValueError):
        raise ValueError(f"power report's Total row is not numbers: {' '.join(total)}") from None


def parse_instance_power(text: str) -> dict[str, StaPower]:
    """Each row of ``report_power -instances``: internal, switching, leakage, total, instance."""
    found = {}
    for line in text.splitlines():
        words = line.split()
        try:
            found[words[4]] = StaPower(*map(float, words[:3]))
        except (IndexError, ValueError):
            continue  # a header or dashes
    return found


def input_activity_tcl(netlist: MappedNetlist, found: NetActivity) -> str:
    """The measured transitions per clock period and duty of each input port bit but the clock."""
    lines = []
    for bit, (kind, owner, where) in sorted(netlist.drivers().items()):
        if kind == "port" and bit in found.duty:
            port = tcl_word(owner + (f"[{where}]" if len(netlist.ports[owner][1]) > 1 else ""))
            lines.append(f"set_power_activity -input_ports [get_ports {port}] "
                         f"-activity {found.toggles[bit] / found.cycles:.9g} -duty {found.duty[bit]:.6g}")
    return "".join(f"{line}\n" for line in lines)


def run_sta_script(script: str, name: str, work_dir: Path, what: str, timeout: float | None) -> None:
    (work_dir / name).write_text(script)
    run_sta(work_dir, name, STA_LOG, what, timeout)


def write_sdf(prologue: str, work_dir: Path, what: str, timeout: float | None) -> Path:
    """Every cell's delays at its pins' loads and slews, as OpenSTA times them."""
    (work_dir / SDF_FILE).unlink(missing_ok=True)
    run_sta_script(f"{prologue}write_sdf -digits 4 -no_timestamp -no_version {SDF_FILE}\nexit\n",
                   SDF_SCRIPT, work_dir, what, timeout)
    if not (work_dir / SDF_FILE).is_file():
        raise StaError(f"{what} wrote no {SDF_FILE} in {work_dir}")
    return work_dir / SDF_FILE


def sta_power(prologue: str, activity_commands: str, work_dir: Path, what: str, timeout: float | None, *,
              instances: bool = False) -> StaPower | dict[str, StaPower]:
    """``report_power`` after *prologue* and *activity_commands*: the totals, or one row per instance."""
    (work_dir / ACTIVITY_TCL).write_text(activity_commands)
    (work_dir / POWER_REPORT).unlink(missing_ok=True)
    per_instance = " -instances [get_cells *]" if instances else ""
    report = f"report_power{per_instance} -digits 8 > {POWER_REPORT}"
    run_sta_script(f"{prologue}source {ACTIVITY_TCL}\n{report}\nexit\n", POWER_SCRIPT, work_dir, what,
                   timeout)
    try:
        text = (work_dir / POWER_REPORT).read_text()
        return parse_instance_power(text) if instances else parse_power_totals(text)
    except (OSError, ValueError) as error:
        raise StaError(f"{what}: {error}; folder: {work_dir}") from None


__all__ = ["StaPower", "input_activity_tcl", "parse_instance_power", "parse_power_totals", "run_sta_script",
           "sta_power", "write_sdf"]

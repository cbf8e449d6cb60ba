"""Options and report lines shared by every `hwgen verify UNIT` subcommand."""

SIMULATOR_CHOICES = ("icarus", "verilator", "both")


def rate(text: str, option: str) -> float:
    """A share of cycles in [0, 1), from the command line."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{option} must be a number at least 0 and below 1, not {text!r}")
    return value


def simulators(choice: str) -> tuple[str, ...]:
    return ("icarus", "verilator") if choice == "both" else (choice,)


def add_verify_options(parser, *, default_vectors: int = 2000, what: str = "dot products",
                       exhaustive: str = "every input code (combination) once") -> None:
    """--sim, --exhaustive | --vectors, --seed, --idle, --stall, --build-dir."""
    parser.add_argument("--sim", choices=SIMULATOR_CHOICES, default="verilator",
                        help="simulator (default verilator)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--exhaustive", action="store_true",
                       help=exhaustive)
    which.add_argument("--vectors", type=int, default=default_vectors, metavar="N",
                       help=f"random {what} to check (default {default_vectors})")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    parser.add_argument("--idle", default="0.2", metavar="R", help="share of idle input cycles (default 0.2)")
    parser.add_argument("--stall", default="0.3", metavar="R",
                        help="share of refused output cycles (default 0.3)")
    parser.add_argument("--build-dir", default="build/verify", metavar="DIR",
                        help="where units are emitted and simulated (default build/verify)")

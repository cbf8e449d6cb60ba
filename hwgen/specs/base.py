"""What every design spec shares: canonical JSON, construction from a dict of options, derived facts.

A spec is a frozen dataclass whose fields are the unit's options. Its ``__post_init__`` validates them
with the same one-line messages the generators use, and rewrites them into canonical form: format
names through the registry (``e4m3`` -> ``fp8_e4m3fn``), defaults filled in. Two specs of the same
hardware are therefore equal, and so are their :meth:`UnitSpec.to_json` texts (the results store's
``config``). Specs import no Amaranth: the CLI, sweeps, the store and the cost models read them, and
the generators build from them.
"""

import dataclasses
import json
from collections.abc import Mapping
from typing import ClassVar


def canonical_json(value) -> str:
    """Sorted keys, no spaces: equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


class UnitSpec:
    """Base of the frozen spec dataclasses (``kind`` names the unit; see :mod:`hwgen.specs`)."""

    kind: ClassVar[str]

    def _canonical(self, **values) -> None:
        """Set fields to their canonical values (the dataclass is frozen to everyone else)."""
        for name, value in values.items():
            object.__setattr__(self, name, value)

    # --- the stable form: the store's config

    def options(self) -> dict:
        """Every option, canonical, defaults filled in."""
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}

    def to_json(self) -> str:
        return canonical_json(self.options())

    @classmethod
    def option_names(cls) -> tuple[str, ...]:
        return tuple(field.name for field in dataclasses.fields(cls))

    @classmethod
    def default(cls, name: str):
        """The default of option *name* (None: filled in from the other options)."""
        default = {field.name: field.default for field in dataclasses.fields(cls)}[name]
        if default is dataclasses.MISSING:
            raise ValueError(f"{cls.kind} option {name!r} has no default")
        return default

    @classmethod
    def required_options(cls) -> tuple[str, ...]:
        return tuple(field.name for field in dataclasses.fields(cls)
                     if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING)

    @classmethod
    def from_options(cls, options: Mapping):
        """The spec of a dict of options (a sweep's TOML entry, a stored config); one-line errors for
        an unknown or a missing option."""
        if not isinstance(options, Mapping):
            raise TypeError(f"{cls.kind} options must be a mapping, not {type(options).__name__}")
        unknown = sorted(set(options) - set(cls.option_names()))
        if unknown:
            raise ValueError(f"unknown option {unknown[0]!r} for unit {cls.kind}; options: "
                             f"{', '.join(cls.option_names())}")
        missing = [name for name in cls.required_options() if name not in options]
        if missing:
            raise ValueError(f"a {cls.kind} unit needs {', '.join(missing)}")
        return cls(**options)

    @classmethod
    def from_json(cls, text: str):
        try:
            options = json.loads(text)
        except (TypeError, ValueError) as error:
            raise ValueError(f"a {cls.kind} spec must be a JSON object of options ({error})") from None
        return cls.from_options(options)

    # --- derived facts every kind provides

    @property
    def module_name(self) -> str:
        """The default Verilog module name."""
        raise NotImplementedError

    @property
    def label(self) -> str:
        """A short display name for tables and plots."""
        raise NotImplementedError

    @property
    def latency(self) -> int:
        """Cycles from the input transfer that completes a result to ``o.valid`` (no backpressure)."""
        raise NotImplementedError

    @property
    def ii(self) -> int:
        return 1

    @classmethod
    def fmax_candidates(cls, options: Mapping, target: str,
                        dsp: bool = True) -> tuple[tuple[int, tuple], ...]:
        """What an Fmax search on *target* (*dsp*: DSP blocks allowed) tries for the design of *options*
        (its pipeline ignored), in order: (pipeline depth, other option overrides) pairs. Every depth of
        ``max_pipeline``."""
        del options, target, dsp
        return tuple((depth, ()) for depth in range(1, cls.max_pipeline + 1))

    @property
    def targets(self) -> tuple[str, ...] | None:
        """The only synthesis targets the design maps to (it instantiates their primitives); None: every
        target."""
        return None

    @property
    def needs_dsps(self) -> bool:
        """Whether the primitives it instantiates are DSP blocks (then it maps only with DSPs allowed)."""
        return self.targets is not None

    def check_target(self, target: str, option: str = "--target", dsp: bool = True) -> str:
        """*target*, or a one-line ``ValueError`` naming *option* when the design cannot map to it (with
        DSPs allowed or not: *dsp*)."""
        if self.targets is not None and target not in self.targets:
            targets = ", ".join(self.targets)
            raise ValueError(f"{option} {target}: {self.label} synthesizes for {targets} only")
        if self.needs_dsps and not dsp:
            raise ValueError(f"--no-dsp: {self.label} instantiates DSP blocks; allow them (drop --no-dsp)")
        return target

"""One simulator build of several MAC units and one deliberately broken unit: every good unit must match
the golden model under idle inputs and refused outputs, the broken one must be caught (tests that can
fail). Shared by the suites of the MAC's placement variants."""

import pytest

from hwgen.emit import emit
from hwgen.gen.build import build_unit, emit_spec
from hwgen.gen.mac_design import manifest_details
from hwgen.sim.engine import Job, verify_batch
from hwgen.sim.mac_stimulus import exhaustive_pairs, join_vectors, random_dot_products
from hwgen.sim.verify_mac import MAC

RANDOM_DOT_PRODUCTS = {"icarus": 400, "verilator": 3000}


def check_batch(manifests: dict, units: dict, broken: tuple, simulator: str, build_dir, *,
                broken_holds_outputs: bool = True) -> None:
    """*units*: key -> (spec, exhaustive pairs first); *broken*: (key, the spec whose stimulus it gets);
    *manifests*: key -> manifest path, the broken unit's included. *broken_holds_outputs*: the broken
    unit's fault is in its sums only (False: it may also change an output it was made to hold)."""
    jobs = {}
    for index, (key, (spec, exhaustive)) in enumerate([*units.items(), (broken[0], (broken[1], False))]):
        parts = [exhaustive_pairs(spec.a, spec.b)] if exhaustive else []
        parts.append(random_dot_products(spec.a, spec.b, RANDOM_DOT_PRODUCTS[simulator], seed=index))
        jobs[key] = Job(manifests[key], join_vectors(*parts), idle_rate=0.2, stall_rate=0.3, seed=index)
    reports = dict(zip(jobs, verify_batch(MAC, list(jobs.values()), simulator=simulator, build_dir=build_dir),
                       strict=True))
    for key in units:
        assert reports[key].ok, reports[key].summary()
        assert reports[key].cycles > reports[key].vectors  # idle inputs and refused outputs happened
    caught = reports[broken[0]]
    assert caught.mismatches > 0 and not caught.timed_out
    assert caught.protocol_errors == 0 or not broken_holds_outputs


def emit_with_broken(units: dict, folder, broken: tuple, patch) -> dict:
    """Manifests of *units* (key -> (spec, ...)) emitted into *folder*, and of one broken unit:
    *broken* = (key, spec, module name) built while ``patch(monkeypatch)`` breaks the generator."""
    found = {key: emit_spec(spec, folder)[1] for key, (spec, _) in units.items()}
    key, spec, module = broken
    with pytest.MonkeyPatch.context() as monkeypatch:
        patch(monkeypatch)
        unit = build_unit(spec)
        found[key] = emit(unit, module, folder, manifest_details(unit))[1]
    return found

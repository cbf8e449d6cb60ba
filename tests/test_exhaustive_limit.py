"""--exhaustive above MAX_EXHAUSTIVE_ITEMS is one line and exit 2, before any work or allocation.

The refused runs would allocate tens of GiB: each check runs under a cap on the address space, so that a
regression fails at once instead of taking the machine's memory.
"""

import contextlib
import resource
import subprocess
import sys

import pytest

import hwgen.sim.stream_memory as stream_memory
from hwgen.sim.mac_stimulus import exhaustive_pairs
from hwgen.sim.mxdot_stimulus import exhaustive_pair_blocks, pack_blocks

HEADROOM = 1 << 30  # bytes of address space a check may add to what the process already holds
CLI_ADDRESS_SPACE = 4 << 30  # the CLI's imports need about 1 GiB of address space


def _address_space() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))


@contextlib.contextmanager
def _capped_memory():
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = _address_space() + HEADROOM
    resource.setrlimit(resource.RLIMIT_AS, (cap if soft == resource.RLIM_INFINITY else min(cap, soft), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _cap_child() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = CLI_ADDRESS_SPACE if hard == resource.RLIM_INFINITY else min(CLI_ADDRESS_SPACE, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


WIDE = [("fp16", "fp16", 1 << 32), ("int16", "int16", 1 << 32), ("fp32", "int4", 1 << 36),
        ("bf16", "int12", 1 << 28)]


def _message(a: str, b: str, pairs: int) -> str:
    return (f"--exhaustive needs {pairs} pairs for {a} x {b}, more than the limit of 16777216 (2^24); "
            f"use --vectors N for a random sample")


@pytest.mark.parametrize(("a", "b", "pairs"), WIDE, ids=[f"{a}-{b}" for a, b, _ in WIDE])
def test_exhaustive_pairs_refuses_wide_formats_before_allocating(a, b, pairs):
    with _capped_memory(), pytest.raises(ValueError) as error:
        exhaustive_pairs(a, b)
    assert str(error.value) == _message(a, b, pairs)


def test_the_limit_is_inclusive():
    limit = stream_memory.MAX_EXHAUSTIVE_ITEMS
    assert limit == 1 << 24
    assert stream_memory.check_exhaustive(limit, "pairs") == limit
    with pytest.raises(ValueError, match=f"needs {limit + 1} pairs, more than the limit of {limit} "):
        stream_memory.check_exhaustive(limit + 1, "pairs")


def test_exhaustive_pair_blocks_checks_the_same_limit(monkeypatch):
    monkeypatch.setattr(stream_memory, "MAX_EXHAUSTIVE_ITEMS", 1000)
    with pytest.raises(ValueError, match=r"^--exhaustive needs 65536 element pairs for mxfp8_e4m3 x "
                                         r"mxfp8_e4m3, more than the limit of 1000 .*; use --vectors N"):
        exhaustive_pair_blocks("mxfp8_e4m3")


def test_pack_blocks_puts_element_k_at_bits_k_times_width():
    # Packed by bit planes since exhaustive blocks of 1024 elements took GiBs: the layout must not move.
    assert pack_blocks(4, [[0x1, 0x2, 0x3], [0xF, 0x0, 0x8]]).tolist() == [0x321, 0x80F]
    assert pack_blocks(6, [[0x3F, 0x01]]).tolist() == [0x07F]
    assert pack_blocks(8, [0xAB, 0x01]).tolist() == [0xAB, 0x01]


CLI = [(["mac", "--a", a, "--b", b], _message(a, b, pairs)) for a, b, pairs in WIDE[:2]] + [
    (["systolic", "--a", "int8", "--b", "int8", "--pes", "2"], "--exhaustive is not available for systolic"),
]


@pytest.mark.parametrize(("args", "message"), CLI, ids=[" ".join(args[:5]) for args, _ in CLI])
def test_cli_refuses_in_one_line_and_builds_nothing(tmp_path, args, message):
    build = tmp_path / "build"
    command = [sys.executable, "-m", "hwgen", "verify", *args, "--exhaustive", "--sim", "icarus",
               "--build-dir", str(build)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, preexec_fn=_cap_child)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("hwgen verify: error: ")
    assert message in result.stderr and "--vectors N" in result.stderr
    assert not build.exists()


RANDOM = [
    (["mac", "--a", "int8", "--b", "int8", "--vectors", "1000000", "--max-terms", "4096"],
     "1000000 random dot products of up to 4096 terms need about 2048500000 stored items"),
    (["mxdot", "--elem", "mxfp8_e4m3", "--block", "1024", "--vectors", "1000000"],
     "1000000 random block pairs of 1024 elements need about 1024000000 stored items"),
]


@pytest.mark.parametrize(("args", "message"), RANDOM, ids=[args[0] for args, _ in RANDOM])
def test_random_stimulus_is_bounded_too(tmp_path, args, message):
    """A random stimulus that would not fit (15 GiB for 10^6 dot products of up to 4096 terms) is
    refused like an exhaustive one: one line, nothing built."""
    build = tmp_path / "build"
    command = [sys.executable, "-m", "hwgen", "verify", *args, "--sim", "icarus", "--build-dir", str(build)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, preexec_fn=_cap_child)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.splitlines()) == 1 and message in result.stderr, result.stderr
    assert "(2^24); ask for fewer" in result.stderr
    assert not build.exists()

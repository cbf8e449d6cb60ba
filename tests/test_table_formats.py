"""The registry's table formats besides dint4 (docs/formats.md#dint-and-table-formats): dint4z, nf4,
sf4, fp4_e2m1_sr and fp4_e2m1_sp.

Each table against values written out by hand; NF4 and SF4 against the float constants of the
paper's code (cornell-zhang/llm-datatypes, neural_compressor/adaptor/torch_utils/weight_only.py,
copied here on their own, not imported from hwgen) and against quantiles computed here: the normal
ones from ``statistics.NormalDist``, the Student-t ones by bisection on a CDF written from the
regularized incomplete beta function. Then encode / decode, the golden MAC against
``fractions.Fraction`` sums, the accuracy path's quantizer, the CLI, and the generated MAC of each
table x int8 on Icarus and Verilator over every code pair plus random dot products.
"""

import math
import subprocess
import sys
import zlib
from fractions import Fraction
from statistics import NormalDist

import numpy as np
import pytest

from hwgen.cli import main
from hwgen.formats import TableFormat, get_format, listed_formats
from hwgen.formats.registry import _FLOAT, TABLE_FORMATS
from hwgen.golden import decode, encode, mac

NEW = ["dint4z", "nf4", "sf4", "fp4_e2m1_sr", "fp4_e2m1_sp"]

# ---------------------------------------------------------------------------------------------
# The tables, by hand
# ---------------------------------------------------------------------------------------------
E2M1 = [0, 0.5, 1, 1.5, 2, 3, 4, 6]  # OCP E2M1 codes 0x0..0x7
TABLES = {
    "dint4z": [0, 1, 2, 3, 4, 5, 6, 7, -0.5, -1, -2, -3, -4, -5, -6, -7],
    "nf4": [u / 1024 for u in (-1024, -713, -538, -404, -291, -189, -93, 0,
                               81, 165, 252, 346, 451, 576, 740, 1024)],
    "sf4": [u / 1024 for u in (-1024, -643, -466, -342, -243, -157, -77, 0,
                               67, 136, 210, 291, 385, 503, 673, 1024)],
    "fp4_e2m1_sr": [*E2M1, 8, *(-v for v in E2M1[1:])],
    "fp4_e2m1_sp": [*E2M1, 5, *(-v for v in E2M1[1:])],
}
# name: (lsb exponent, max units, max, smallest nonzero magnitude)
FACTS = {
    "dint4z": (-1, 14, 7.0, 0.5),
    "nf4": (-10, 1024, 1.0, 81 / 1024),
    "sf4": (-10, 1024, 1.0, 67 / 1024),
    "fp4_e2m1_sr": (-1, 16, 8.0, 0.5),
    "fp4_e2m1_sp": (-1, 12, 6.0, 0.5),
}


@pytest.mark.parametrize("name", NEW)
def test_table_values_by_hand(name):
    fmt = get_format(name)
    assert isinstance(fmt, TableFormat) and fmt.name == name and TABLE_FORMATS[name] is fmt
    assert fmt.values == tuple(TABLES[name])
    assert (fmt.bits, fmt.signed, fmt.has_inf, fmt.has_nan) == (4, True, False, False)
    assert (fmt.lsb_exponent, fmt.max_units, fmt.max, fmt.min_normal) == FACTS[name]
    assert 0.0 in fmt.values and not any(math.copysign(1, v) < 0 for v in fmt.values if v == 0)
    assert name in [f.name for f in listed_formats()]
    assert _FLOAT.fullmatch(name) is None  # the minifloat grammar does not claim the name


def test_e2m1_variants_only_reassign_negative_zero():
    e2m1 = get_format("fp4_e2m1")
    plain = decode(e2m1, np.arange(16)).tolist()
    for name, extra in (("fp4_e2m1_sr", 8.0), ("fp4_e2m1_sp", 5.0)):
        values = list(get_format(name).values)
        assert values[:8] == plain[:8] and values[9:] == plain[9:]
        assert math.copysign(1, plain[8]) == -1 and plain[8] == 0  # E2M1's code 0x8 is -0
        assert values[8] == extra


def test_dint4z_is_int4_sign_magnitude_with_minus_half():
    values = get_format("dint4z").values
    for code in range(16):
        sign, magnitude = code >> 3, code & 7
        expected = -0.5 if code == 8 else (-1) ** sign * magnitude
        assert values[code] == expected


# ---------------------------------------------------------------------------------------------
# NF4 and SF4 against the paper's code and against quantiles computed here
# ---------------------------------------------------------------------------------------------
# cornell-zhang/llm-datatypes, neural_compressor/adaptor/torch_utils/weight_only.py: NF4 (lines
# 32-34, QLoRA's / bitsandbytes' constants) and SF4_5 (lines 56-58, Student-t with nu = 5)
CODE_NF4 = [-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
            -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
            0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
            0.7229568362236023, 1.0]
CODE_SF4_5 = [-1.0, -0.627781, -0.454736, -0.334331, -0.237434, -0.152899, -0.074982, 0.0,
              0.065513, 0.132965, 0.204661, 0.283835, 0.375805, 0.491076, 0.656781, 1.0]
# the same file's SF4_4 and SF4_6 (nu = 4 and 6): SF4 must match nu = 5 and not these
CODE_SF4_4 = [-1.0, -0.608729, -0.435845, -0.318393, -0.225229, -0.144689, -0.070863, 0.0,
              0.061908, 0.125773, 0.193936, 0.269711, 0.358617, 0.471724, 0.638231, 1.0]
CODE_SF4_6 = [-1.0, -0.640101, -0.467104, -0.344838, -0.245517, -0.15835, -0.077722, 0.0,
              0.067911, 0.137742, 0.211771, 0.293169, 0.387111, 0.503714, 0.66875, 1.0]
QLORA_OFFSET = 0.9677083  # bitsandbytes create_normal_map's default
GRID = 2.0**-10


def _beta_continued_fraction(a, b, x):
    """Lentz's method for the continued fraction of the incomplete beta function."""
    tiny = 1e-300
    c, d = 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        for aa in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                   -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1 + aa * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + aa / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1) < 1e-15:
            return h
    raise AssertionError("the continued fraction did not converge")


def regularized_beta(a, b, x):
    if x <= 0 or x >= 1:
        return float(x >= 1)
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    front = math.exp(log_front)
    if x < (a + 1) / (a + b + 2):
        return front * _beta_continued_fraction(a, b, x) / a
    return 1 - front * _beta_continued_fraction(b, a, 1 - x) / b


def student_t_cdf(t, nu):
    tail = 0.5 * regularized_beta(nu / 2, 0.5, nu / (nu + t * t))
    return 1 - tail if t > 0 else tail


def student_t_quantile(p, nu):
    low, high = -1e4, 1e4
    for _ in range(200):
        middle = (low + high) / 2
        low, high = (middle, high) if student_t_cdf(middle, nu) < p else (low, middle)
    return (low + high) / 2


def quantile_table(quantile, offset=QLORA_OFFSET):
    """QLoRA's construction: 8 positive quantiles of linspace(offset, 0.5, 9)[:-1], 7 negative ones of
    linspace(offset, 0.5, 8)[:-1], and 0; sorted and divided by the largest."""
    def probabilities(n):
        return [offset + (0.5 - offset) * i / (n - 1) for i in range(n - 1)]
    positive, negative = [quantile(p) for p in probabilities(9)], [-quantile(p) for p in probabilities(8)]
    values = sorted([*negative, 0.0, *positive])
    return [v / values[-1] for v in values]


def test_student_t_cdf_matches_the_closed_form_for_nu_5():
    # nu = 5: F(t) = 1/2 + (theta + sin(theta) cos(theta) (1 + 2/3 cos^2(theta))) / pi,
    # theta = atan(t / sqrt(5))
    for t in (-7.0, -2.0, -0.3, 0.0, 0.1, 1.0, 2.5, 12.0):
        theta = math.atan(t / math.sqrt(5))
        sin, cos = math.sin(theta), math.cos(theta)
        closed = 0.5 + (theta + sin * cos * (1 + 2 / 3 * cos**2)) / math.pi
        assert student_t_cdf(t, 5) == pytest.approx(closed, abs=1e-14)
    assert student_t_quantile(0.975, 5) == pytest.approx(2.570581835636, abs=1e-10)  # textbook table


def test_code_constants_are_the_quantiles():
    """The constants of the paper's code really are the NF4 / SF4 (nu = 5) constructions."""
    nf4 = quantile_table(NormalDist().inv_cdf)
    assert max(abs(a - b) for a, b in zip(nf4, CODE_NF4, strict=True)) < 2e-7  # torch float32 linspace
    sf4 = {nu: quantile_table(lambda p, nu=nu: student_t_quantile(p, nu)) for nu in (4, 5, 6)}
    # printed to 6 digits (from float32 probabilities: a little over half a unit of the 6th digit)
    assert max(abs(a - b) for a, b in zip(sf4[5], CODE_SF4_5, strict=True)) < 1e-6
    for nu, code in ((4, CODE_SF4_4), (6, CODE_SF4_6)):
        assert max(abs(a - b) for a, b in zip(sf4[nu], code, strict=True)) < 1e-6
        assert max(abs(a - b) for a, b in zip(sf4[nu], CODE_SF4_5, strict=True)) > 1e-2
    # The grid values do not depend on which of the two is rounded: no value lies near a grid midpoint.
    for computed, name in ((nf4, "nf4"), (sf4[5], "sf4")):
        assert [round(v / GRID) for v in computed] == [round(v / GRID) for v in get_format(name).values]


@pytest.mark.parametrize(("name", "constants", "worst"),
                         [("nf4", CODE_NF4, 4.79e-4), ("sf4", CODE_SF4_5, 4.46e-4)])
def test_quantile_tables_round_the_code_constants(name, constants, worst):
    values = get_format(name).values
    assert list(values) == sorted(values) and len(set(values)) == 16
    assert values[7] == 0.0 and (values[0], values[-1]) == (-1.0, 1.0)
    errors = [abs(Fraction(v) - Fraction(c)) for v, c in zip(values, constants, strict=True)]
    assert max(errors) <= Fraction(GRID) / 2  # the nearest grid point: within half a step
    assert all(Fraction(v) / Fraction(GRID) == round(Fraction(v) / Fraction(GRID)) for v in values)
    assert float(max(errors)) == pytest.approx(worst, abs=5e-7)  # as docs/formats.md states
    for v, c in zip(values, constants, strict=True):  # and no other grid point is nearer
        assert abs(v - c) <= min(abs(v + GRID - c), abs(v - GRID - c))


# ---------------------------------------------------------------------------------------------
# Encode and decode
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NEW)
def test_round_trips(name):
    fmt = get_format(name)
    codes = np.arange(16)
    values = decode(fmt, codes)
    np.testing.assert_array_equal(values, TABLES[name])
    np.testing.assert_array_equal(encode(fmt, values), codes)
    np.testing.assert_array_equal(encode(fmt, values, saturate=True), codes)
    # every value between two neighbours goes to the nearer one
    order = np.argsort(values)
    low, high = values[order[:-1]], values[order[1:]]
    np.testing.assert_array_equal(encode(fmt, low + (high - low) / 4), order[:-1])
    np.testing.assert_array_equal(encode(fmt, high - (high - low) / 4), order[1:])
    top, bottom = order[-1], order[0]
    np.testing.assert_array_equal(encode(fmt, [1e9, np.inf, -1e9, -np.inf]), [top, top, bottom, bottom])
    with pytest.raises(ValueError, match="NaN"):
        encode(fmt, [np.nan])


TIES = {
    "dint4z": [(0.0, 0), (-0.0, 0), (0.2, 0), (-0.2, 0), (-0.3, 8),
               (-0.25, 0),  # tie 0 (code 0) / -0.5 (code 8): both even -> the lower code
               (0.5, 0),  # tie 0 (code 0) / 1 (code 1) -> even
               (-0.75, 8),  # tie -0.5 (code 8) / -1 (code 9) -> even
               (1.5, 2), (-1.5, 10), (7.5, 7), (-100.0, 15)],
    "nf4": [(0.0, 7), (-0.0, 7), (81 / 2048, 8),  # tie 0 (code 7) / 81/1024 (code 8) -> even
            (-93 / 2048, 6), (0.99, 15), (-5.0, 0)],
    "sf4": [(0.0, 7), (67 / 2048, 8), (-77 / 2048, 6), ((673 + 1024) / 2048, 14)],
    "fp4_e2m1_sr": [(7.0, 8),  # tie 6 (code 7) / 8 (code 8) -> even
                    (6.9, 7), (7.1, 8), (100.0, 8), (-7.0, 15), (-0.0, 0), (-0.25, 0)],
    "fp4_e2m1_sp": [(4.5, 6),  # tie 4 (code 6) / 5 (code 8): both even -> the lower code
                    (5.5, 8),  # tie 5 (code 8) / 6 (code 7) -> even
                    (4.6, 8), (5.4, 8), (5.6, 7), (-5.0, 14),  # tie -4 (code 14) / -6 (code 15)
                    (-0.0, 0)],
}


@pytest.mark.parametrize("name", NEW)
def test_ties_by_hand(name):
    x = [v for v, _ in TIES[name]]
    np.testing.assert_array_equal(encode(name, x), [c for _, c in TIES[name]])


# ---------------------------------------------------------------------------------------------
# The golden MAC against Fraction sums
# ---------------------------------------------------------------------------------------------
def exact_value(fmt, code) -> Fraction:
    """A code's value from first principles: the table entry, or the two's complement integer."""
    if fmt.kind == "table":
        return Fraction(fmt.values[code])
    assert fmt.name == "int8"
    return Fraction(code - 256 if code >= 128 else code)


PAIRS = [(name, "int8") for name in NEW] + [("nf4", "sf4"), ("fp4_e2m1_sr", "fp4_e2m1_sp"),
                                              ("dint4z", "dint4z"), ("sf4", "fp4_e2m1_sr")]


@pytest.mark.parametrize(("a", "b"), PAIRS, ids=[f"{a}x{b}" for a, b in PAIRS])
def test_golden_mac_is_exact(a, b):
    a, b = get_format(a), get_format(b)
    lsb = Fraction(2) ** (a.lsb_exponent + b.lsb_exponent)
    # every code pair as a one-term dot product
    a_codes = np.repeat(np.arange(1 << a.bits), 1 << b.bits)
    b_codes = np.tile(np.arange(1 << b.bits), 1 << a.bits)
    result = mac(a_codes, b_codes, np.ones(a_codes.size, bool), a, b, acc="fixed")
    assert result.accumulator.lsb_exponent == a.lsb_exponent + b.lsb_exponent
    expected = [exact_value(a, x) * exact_value(b, y) / lsb
                for x, y in zip(a_codes.tolist(), b_codes.tolist(), strict=True)]
    assert all(e.denominator == 1 for e in expected)
    assert list(result.acc) == [int(e) for e in expected]
    # random dot products of 1..64 terms, biased to the ends of the table
    rng = np.random.default_rng(zlib.crc32(f"{a.name}x{b.name}".encode()))
    lengths = rng.integers(1, 65, 2000)
    lengths[:200] = 64
    items = int(lengths.sum())
    a_codes, b_codes = rng.integers(0, 1 << a.bits, items), rng.integers(0, 1 << b.bits, items)
    top = rng.random(items) < 0.3
    a_codes[top] = np.argmax(np.abs(a.values))
    last = np.zeros(items, bool)
    last[np.cumsum(lengths) - 1] = True
    result = mac(a_codes, b_codes, last, a, b, acc="fixed")
    sums, start, a_list, b_list = [], 0, a_codes.tolist(), b_codes.tolist()
    for end in np.cumsum(lengths).tolist():
        terms = zip(a_list[start:end], b_list[start:end], strict=True)
        sums.append(sum(exact_value(a, x) * exact_value(b, y) for x, y in terms))
        start = end
    assert list(result.acc) == [int(s / lsb) for s in sums]
    assert all((s / lsb).denominator == 1 for s in sums)
    assert not result.nan.any() and not result.inf.any()
    assert result.accumulator.width >= max(abs(int(s / lsb)) for s in sums).bit_length() + 1


def test_accumulator_widths():
    """W = bitlength(max_units(A) * max_units(B) * 64) + 1 (docs/formats.md#fixed-accumulators)."""
    from hwgen.formats import accumulator

    widths = {name: accumulator("fixed", name, "int8").width for name in NEW}
    assert widths == {"dint4z": 18, "nf4": 25, "sf4": 25, "fp4_e2m1_sr": 19, "fp4_e2m1_sp": 18}


# ---------------------------------------------------------------------------------------------
# Accuracy path and CLI
# ---------------------------------------------------------------------------------------------
def test_accuracy_quantizer_uses_the_tables():
    from hwgen.cost_models import quality

    row = np.array([[0.0, 7.0, -7.0, 0.2, -0.2, -0.3, 2.6]])
    assert quality.quantize("dint4z", row)[0].tolist() == [0.0, 7.0, -7.0, 0.0, 0.0, -0.5, 3.0]
    # the scale maps max|x| to the table's largest magnitude; the negative side then saturates at -6
    row = np.array([[8.0, -8.0, 7.0, 4.5, 0.3]])
    assert quality.quantize("fp4_e2m1_sr", row)[0].tolist() == [8.0, -6.0, 8.0, 4.0, 0.5]
    assert quality.quantize("fp4_e2m1_sp", row * 0.75)[0].tolist() == [6.0, -6.0, 5.0, 3.0, 0.0]
    x = quality.samples_of("gaussian", 4096, seed=1)[None, :]
    for name in ("nf4", "sf4"):
        q = quality.quantize(name, x)[0]
        scale = np.abs(x).max()  # / fmt.max, which is 1
        assert set(q.tolist()) <= set((np.array(get_format(name).values) * scale).tolist())
        assert quality.sqnr_of(x, q[None, :]) > quality.sqnr_of(x, quality.quantize("int4", x))


def test_cli_lists_and_shows_the_tables(capsys):
    assert main(["formats"]) == 0
    listing = capsys.readouterr().out
    for name in NEW:
        assert f"\n{name} " in listing
    assert main(["formats", "nf4", "--codes"]) == 0
    out = capsys.readouterr().out
    assert "0x7   0" in out and "0x8   0.0791015625" in out and "0xf   1" in out
    assert "lsb_exponent: -10" in out
    assert main(["formats", "fp4_e2m1_sr", "--codes"]) == 0
    assert "0x8   8" in capsys.readouterr().out
    assert main(["quantize", "-f", "dint4z", "--json", "0", "-0.3", "7"]) == 0
    assert '"code": 8' in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# Hardware: every new table x int8 on both simulators
# ---------------------------------------------------------------------------------------------
HARDWARE = [(name, "int8", "fixed") for name in NEW] + [("nf4", "fp8_e4m3fn", "fp32")]
RANDOM_DOTS = {"verilator": 5000, "icarus": 500}


@pytest.fixture(scope="module")
def manifests(tmp_path_factory):
    from hwgen.gen.build import emit_spec
    from hwgen.specs import MacSpec

    folder = tmp_path_factory.mktemp("table_units")
    return {config: emit_spec(MacSpec(*config, pipeline=2), folder)[1] for config in HARDWARE}


@pytest.mark.slow
@pytest.mark.tools
@pytest.mark.parametrize("simulator", ["icarus", "verilator"])
def test_generated_macs_match_on_both_simulators(simulator, manifests, tmp_path):
    """One build per simulator: each unit gets all 4096 (or 16 x 256) code pairs as one-term dot
    products, then random dot products, with idle input cycles and refused outputs."""
    from hwgen.sim.engine import Job, verify_batch
    from hwgen.sim.mac_stimulus import exhaustive_pairs, join_vectors, random_dot_products
    from hwgen.sim.verify_mac import MAC

    jobs = []
    for index, config in enumerate(HARDWARE):
        a, b, _ = config
        stimulus = join_vectors(exhaustive_pairs(a, b),
                                random_dot_products(a, b, RANDOM_DOTS[simulator], seed=index))
        jobs.append(Job(manifests[config], stimulus, idle_rate=0.2, stall_rate=0.3, seed=index))
    reports = verify_batch(MAC, jobs, simulator=simulator, build_dir=tmp_path)
    for (a, b, acc), report in zip(HARDWARE, reports, strict=True):
        assert report.ok, report.summary()
        pairs = (1 << get_format(a).bits) * (1 << get_format(b).bits)
        assert report.dot_products == pairs + RANDOM_DOTS[simulator], (a, b, acc)


@pytest.mark.slow
@pytest.mark.tools
def test_verify_cli_exhaustive(tmp_path):
    result = subprocess.run([sys.executable, "-m", "hwgen", "verify", "mac", "--a", "nf4", "--b", "int8",
                             "--sim", "verilator", "--exhaustive", "--build-dir", str(tmp_path)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "vectors checked 4096, dot products checked 4096, mismatches 0" in result.stdout
    assert result.stdout.splitlines()[-1] == "PASS"


def test_a_user_table_goes_through_the_same_path(monkeypatch):
    """register_table: the name then works wherever a format name does (spec, generator, golden MAC)."""
    from fractions import Fraction

    from hwgen.formats import TABLE_FORMATS, register_table
    from hwgen.golden.mac import mac
    from hwgen.specs import MacSpec

    monkeypatch.setattr("hwgen.formats.registry.TABLE_FORMATS", dict(TABLE_FORMATS))
    table = register_table("apot3", (0.0, 0.25, 0.5, 1.0, -0.125, -0.25, -0.5, -1.0))
    assert get_format("apot3") is table and table.bits == 3
    spec = MacSpec("apot3", "int8", terms=4)
    from hwgen.fpga.units import generate_design

    design = generate_design(spec)
    assert "module" in design.verilog and design.details["acc"]["width"] > 0
    codes_a, codes_b = [3, 7, 4, 1], [127, 128, 5, 200]  # int8 codes: 127, -128, 5, -56
    exact = sum(Fraction(table.values[a]) * ((b ^ 0x80) - 0x80)
                for a, b in zip(codes_a, codes_b, strict=True))
    result = mac(codes_a, codes_b, [False, False, False, True], "apot3", "int8", "fixed", terms=4)
    lsb = Fraction(2) ** result.accumulator.lsb_exponent
    assert Fraction(int(result.acc[0])) * lsb == exact
    for taken in ("dint4", "int5", "fp6_e3m2", "mxfp4", "e4m3"):
        with pytest.raises(ValueError, match="is taken"):
            register_table(taken, (0.0, 1.0))

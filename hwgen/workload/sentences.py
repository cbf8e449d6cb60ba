"""The fixed sentence set: sentences plus their near-paraphrase pairs (``sentences.tsv``).

Standard library only: ``tools/make_minilm_fixture.py`` loads this file by path in a separate
virtual environment (torch + transformers) that does not have hwgen's dependencies.
"""

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

SENTENCES_FILE = "sentences.tsv"
CALIBRATION_FILE = "calibration.tsv"  # the scale recipes' calibration set, disjoint from the sentences
NO_PAIR = "-"


@dataclass(frozen=True)
class SentenceSet:
    """Sentences in file order and the index pairs ``(i, j)``, ``i < j``, of near-paraphrases."""

    sentences: tuple
    pairs: tuple
    sha256: str

    def __len__(self) -> int:
        return len(self.sentences)

    def head(self, count: int) -> "SentenceSet":
        """The first ``count`` sentences and the pairs that lie wholly inside them."""
        pairs = tuple((i, j) for i, j in self.pairs if j < count)
        return SentenceSet(self.sentences[:count], pairs, self.sha256)


def parse_sentences(text: str) -> SentenceSet:
    """Parse ``PAIR<TAB>SENTENCE`` lines (``#`` comments and blank lines skipped)."""
    sentences, labels = [], {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        label, tab, sentence = line.partition("\t")
        if not tab or not sentence.strip():
            raise ValueError(f"sentence file line {number}: expected PAIR<TAB>SENTENCE, got {line!r}")
        if label != NO_PAIR:
            labels.setdefault(label, []).append(len(sentences))
        sentences.append(sentence.strip())
    for label, members in labels.items():
        if len(members) != 2:
            raise ValueError(f"sentence file: pair {label!r} has {len(members)} sentences, not 2")
    pairs = tuple(sorted(tuple(members) for members in labels.values()))
    digest = hashlib.sha256(text.encode()).hexdigest()
    return SentenceSet(tuple(sentences), pairs, digest)


def sentences_path() -> Path:
    """The sentence file shipped next to this module."""
    return Path(__file__).resolve().with_name(SENTENCES_FILE)


def load_sentences(path=None, name: str = SENTENCES_FILE) -> SentenceSet:
    """The shipped sentence set (or the shipped file *name*), or the one in ``path``."""
    if path is None:
        text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8") \
            if __package__ else Path(__file__).resolve().with_name(name).read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return parse_sentences(text)


def load_calibration() -> SentenceSet:
    """The calibration sentences of the scale recipes (none of them is in the evaluation set)."""
    return load_sentences(name=CALIBRATION_FILE)

"""Accuracy metrics on sentence embeddings: cosine similarity and a pair-ranking check."""

from dataclasses import dataclass

import numpy as np


def cosines(reference: np.ndarray, candidate: np.ndarray) -> np.ndarray:
    """Cosine similarity of each candidate embedding with its reference (row by row)."""
    dots = (reference * candidate).sum(axis=-1)
    return dots / (np.linalg.norm(reference, axis=-1) * np.linalg.norm(candidate, axis=-1))


@dataclass(frozen=True)
class Ranking:
    """Similar-vs-unrelated orderings that the reference shows and the candidate keeps."""

    kept: int
    total: int

    @property
    def fraction(self) -> float:
        return self.kept / self.total if self.total else 1.0


def ranking(reference: np.ndarray, candidate: np.ndarray, pairs) -> Ranking:
    """For every paraphrase pair (i, j), both ways round (anchor i, partner j and anchor j, partner i),
    and every other sentence u: the reference's ordering sim(anchor, partner) > sim(anchor, u) is one
    ordering; it is kept when the candidate's cosine similarities order the same way (strictly).
    Orderings the reference itself gets wrong (sim(anchor, u) >= sim(anchor, partner)) are not counted.
    """
    def similarity(embeddings):
        unit = embeddings / np.linalg.norm(embeddings, axis=-1, keepdims=True)
        return unit @ unit.T

    ref_sim, cand_sim = similarity(reference), similarity(candidate)
    kept = total = 0
    for i, j in pairs:
        others = np.ones(len(reference), dtype=bool)
        others[[i, j]] = False
        for anchor, partner in ((i, j), (j, i)):
            shown = ref_sim[anchor, partner] > ref_sim[anchor, others]
            keeps = cand_sim[anchor, partner] > cand_sim[anchor, others]
            total += int(shown.sum())
            kept += int((shown & keeps).sum())
    return Ranking(kept, total)

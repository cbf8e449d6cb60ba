"""Exact wide integers as arrays of int64 words: value = sum(words[i] * 2^(62 i)).

Every word but the last lies in [0, 2^62); the last is signed and kept within [-2^61, 2^61), so
adding one more term to any word cannot overflow int64. Used for the exact (Kulisch) sums of the
fast matrix products, which can exceed int64 (fp8_e5m2 products alone need 64 bits).
"""

import numpy as np

from hwgen.golden.exact import bit_length

WORD_BITS = 62
WORD_MASK = np.int64((1 << WORD_BITS) - 1)
_TOP_LIMIT = 1 << (WORD_BITS - 1)
_SPLIT_BITS = 31  # two-word values with |high word| < 2^21 convert to float64 with one rounding


def _magnitude_bits(values: np.ndarray) -> int:
    if values.size == 0:
        return 0
    return max(int(values.max()), -int(values.min())).bit_length()


class WideInt:
    """An array of exact signed integers of any width (all elements share one shape)."""

    def __init__(self, shape):
        self.words = [np.zeros(shape, dtype=np.int64)]
        self._bits = 0  # while there is one word: every |value| < 2^_bits

    @classmethod
    def from_int64(cls, values: np.ndarray) -> "WideInt":
        return cls._from_words([np.array(values, dtype=np.int64)])

    @classmethod
    def _from_words(cls, words: list) -> "WideInt":
        wide = cls(words[0].shape)
        wide.words = words
        wide._bits = _magnitude_bits(words[0]) if len(words) == 1 else 0
        wide._normalize()
        return wide

    @property
    def shape(self) -> tuple:
        return self.words[0].shape

    def _normalize(self) -> None:
        """Carry every word but the top into [0, 2^62); grow while the top word leaves its range."""
        for index in range(len(self.words) - 1):
            carry = self.words[index] >> WORD_BITS
            self.words[index] &= WORD_MASK
            self.words[index + 1] += carry
        top = self.words[-1]
        if top.size and (top.max() >= _TOP_LIMIT or top.min() < -_TOP_LIMIT):
            self.words.append(top >> WORD_BITS)
            self.words[-2] = top & WORD_MASK

    def add_shifted(self, terms: np.ndarray, shift: int) -> None:
        """Add ``terms * 2^shift`` exactly (``terms`` int64 with |terms| < 2^62, ``shift`` >= 0)."""
        if shift < 0:
            raise ValueError(f"shift must be >= 0, not {shift}")
        terms = np.asarray(terms, dtype=np.int64)
        if len(self.words) == 1:
            bits = max(self._bits, _magnitude_bits(terms) + int(shift)) + 1
            if bits < WORD_BITS:  # still one word: a plain int64 add
                self.words[0] += terms << shift
                self._bits = bits
                return
        word, offset = divmod(int(shift), WORD_BITS)
        while len(self.words) < word + 2:
            self.words.append(np.zeros(self.shape, dtype=np.int64))
        # terms * 2^offset = high * 2^62 + low, 0 <= low < 2^62: both halves fit int64.
        keep = WORD_BITS - offset
        self.words[word] += (terms & np.int64((1 << keep) - 1)) << offset
        self.words[word + 1] += terms >> keep
        self._normalize()

    def wrap(self, width: int) -> "WideInt":
        """The value modulo 2^width as a width-bit two's complement integer (a new WideInt)."""
        if width >= WORD_BITS * len(self.words):  # |value| < 2^(62 n - 1): it fits already
            return WideInt._from_words([w.copy() for w in self.words])
        word, offset = divmod(width, WORD_BITS)
        words = [w.copy() for w in self.words[: word + 1]]
        words[word] &= np.int64((1 << offset) - 1)  # now 0 <= value < 2^width
        out = WideInt._from_words(words)
        sign_word, sign_offset = divmod(width - 1, WORD_BITS)
        out.add_shifted(-((out.words[sign_word] >> sign_offset) & 1), width)
        return out

    def _magnitude(self):
        """(negative, words of |value|), all words >= 0."""
        negative = self.words[-1] < 0
        words = [np.where(negative, WORD_MASK - w, w) for w in self.words[:-1]]
        words.append(np.where(negative, -self.words[-1] - 1, self.words[-1]))
        # two's complement: -v = ~v + 1 (word-wise complement, then add 1 with carries)
        carry = negative.astype(np.int64)
        for index in range(len(words)):
            words[index] = words[index] + carry
            if index < len(words) - 1:
                carry = words[index] >> WORD_BITS
                words[index] &= WORD_MASK
        return negative, words

    def to_float64(self) -> np.ndarray:
        """The nearest float64 of every value (round to nearest, ties to even)."""
        if len(self.words) == 1:
            return self.words[0].astype(np.float64)
        if len(self.words) == 2 and _magnitude_bits(self.words[1]) <= 52 - _SPLIT_BITS:
            # high * 2^62 + low = (high * 2^31 + low >> 31) * 2^31 + (low mod 2^31): the first
            # part is an exact float64, so the one float addition is the only rounding.
            high, low = self.words[1], self.words[0]
            upper = ((high << _SPLIT_BITS) + (low >> _SPLIT_BITS)).astype(np.float64)
            return np.ldexp(upper, _SPLIT_BITS) + (low & np.int64((1 << _SPLIT_BITS) - 1)).astype(np.float64)
        negative, words = self._magnitude()
        stacked = np.stack(words)
        nonzero = stacked != 0
        top = len(words) - 1 - np.argmax(nonzero[::-1], axis=0)  # highest nonzero word (0 if none)
        upper = np.take_along_axis(stacked, top[None], axis=0)[0]
        lower = np.take_along_axis(stacked, np.maximum(top - 1, 0)[None], axis=0)[0]
        lower = np.where(top > 0, lower, 0)
        length = bit_length(upper)  # 1..62, or 0 for a zero value
        # head: the top 62 bits of the magnitude; everything below is jammed into its LSB (sticky),
        # so the one rounding of int64 -> float64 (to 53 bits) is the correct one.
        head = (upper << (WORD_BITS - length)) | (lower >> length)
        sticky = (lower & ((np.int64(1) << length) - 1)) != 0
        below = np.arange(len(words))[:, None] < (top - 1).reshape(1, -1)
        sticky |= (nonzero.reshape(len(words), -1) & below).any(axis=0).reshape(top.shape)
        magnitude = np.ldexp((head | sticky).astype(np.float64), WORD_BITS * (top - 1) + length)
        return np.where(negative, -magnitude, magnitude)

    def signed_bits(self) -> int:
        """The fewest two's complement bits that hold every value (1 for all zeros)."""
        if len(self.words) == 1:
            largest = max(int(self.words[0].max()), -int(self.words[0].min()) - 1, 0)
            return largest.bit_length() + 1
        # Rounding is monotonic: the extreme values are among those that round to the extreme floats.
        values = self.to_float64().reshape(-1)
        index = np.flatnonzero((values == values.max()) | (values == values.min()))
        extremes = WideInt._from_words([word.reshape(-1)[index] for word in self.words]).to_ints().tolist()
        return max(max(extremes), -min(extremes) - 1, 0).bit_length() + 1

    def to_ints(self) -> np.ndarray:
        """Python ints (object array): for tests and small results."""
        total = np.zeros(self.shape, dtype=object)
        for index, word in enumerate(self.words):
            total = total + np.array([int(v) << (WORD_BITS * index) for v in word.reshape(-1).tolist()],
                                     dtype=object).reshape(self.shape)
        return total

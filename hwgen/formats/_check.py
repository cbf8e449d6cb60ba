"""Validation helpers with one wording for every format parameter."""

import operator


def check_int(value, what: str, low: int, high: int) -> int:
    """Return ``value`` as an int in [low, high], or raise with the project's one wording."""
    try:
        number = operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be an integer, not {type(value).__name__} {value!r}") from None
    if not low <= number <= high:
        raise ValueError(f"{what} must be between {low} and {high}, not {number}")
    return number

"""Score ranges, the one threshold model: per score column an inclusive (low, high), None leaving that side open.

Two evaluators read it: the Samples listing in SQL (storage/browse.py, `column >= low AND column <= high` on the
Score table) and the Filter page's selection in pandas over the score frame (core/selection.py, whose stored
configuration keeps the same bounds as `mins` / `maxs`). Both pages put ranges in the URL the same way
(core/app_support.py: `r_COLUMN=LOW:HIGH`, either side may be empty).
"""

Range = tuple[float | None, float | None]
Ranges = dict[str, Range]


def to_limits(ranges: Ranges) -> tuple[dict[str, float], dict[str, float]]:
    """(mins, maxs): the closed sides of the ranges, by column."""
    mins = {column: float(low) for column, (low, _) in ranges.items() if low is not None}
    maxs = {column: float(high) for column, (_, high) in ranges.items() if high is not None}
    return mins, maxs

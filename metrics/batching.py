"""Length-sorted batches under a token budget: how every judge feeds its model.

Sorting inputs by length before batching keeps padding small, and a token budget keeps one
batch of long inputs from taking all the memory. Results never depend on the batch an input
lands in: every model input carries its attention mask.
"""

from __future__ import annotations

from collections.abc import Sequence


def length_batches(
    lengths: Sequence[int], *, batch_size: int, batch_tokens: int
) -> list[list[int]]:
    """Indices of ``lengths`` grouped longest first, each group's padded size within budget.

    A group holds at most ``batch_size`` inputs and at most ``batch_tokens`` padded tokens
    (its longest input times its size); an input longer than the budget goes alone.
    """
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    batches: list[list[int]] = []
    start = 0
    while start < len(order):
        longest = max(lengths[order[start]], 1)
        size = max(1, min(batch_size, batch_tokens // longest))
        batches.append(order[start : start + size])
        start += size
    return batches

"""One forward pass per (model, text): encoders shared by every judge of a process.

Judges that run the same weights (by fingerprint) get one loaded tokenizer and model
(:func:`acquire`) and ask it for *products* of a text's forward pass: the normalised token states
of one layer (BERTScore's :class:`Tokens`) or a pooled sentence vector (similarity's
:class:`Pooled`). The runner tells each judge its *companions*: the other judges of the run on
the same loaded model. A judge's batch of examples is run as one canonical pass over the union
of the texts that it and its companions read in those examples (sorted, so the same whichever
judge runs it), computing every judge's product; those that a judge expected later in this
process (:func:`expecting`) will ask for are kept, so it finds them instead of running the model
again. What is kept is capped at :data:`KEEP_BYTES`; past it the oldest go, and are computed
again if asked.

Because the pass of a batch does not depend on which judge runs it, nor on what was kept, a
judge's scores are the same bit for bit whether it runs with its companions in one process (the
local engine) or alone in a Ray actor; they differ from a judge run without companions only by
float rounding of other batch shapes (below 1e-6). Nothing here imports torch at module level.
"""

from __future__ import annotations

import hashlib
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from judge.metrics.base import Example, ResolvedModel
from judge.metrics.device import Placement
from judge.metrics.fastpath import Precision

KEEP_BYTES = 1 << 30  # products kept for judges still to come, at most
Key = tuple[str, str, Placement | None]  # weights, precision (and layer), device and dtype


@dataclass(frozen=True)
class Tokens:
    """L2-normalised token states of ``layer`` for every token (long texts windowed or cut)."""

    layer: int
    truncate: bool = False


@dataclass(frozen=True)
class Pooled:
    """A sentence vector: ``mode`` pooling of the last layer over the first ``max_length`` tokens,
    as sentence-transformers' Transformer + Pooling modules compute it (not normalised)."""

    mode: Literal["mean", "cls", "max"]
    max_length: int


Product = Tokens | Pooled
Field = Literal["output", "references", "source", "prompt"]


@dataclass(frozen=True)
class Want:
    """A product of one model on one device in one dtype: what a judge will ask the shared
    encoder for."""

    fingerprint: str
    precision: Precision
    product: Product
    placement: Placement | None = None
    reads: tuple[Field, ...] = ("output", "references")  # the example's texts it is asked for

    @property
    def key(self) -> Key:
        """Which loaded model serves it: an exported model (not fp32) is cut at one layer."""
        if self.precision == "fp32" or not isinstance(self.product, Tokens):
            return self.fingerprint, self.precision, self.placement
        return self.fingerprint, f"{self.precision}@{self.product.layer}", self.placement


@dataclass
class _Loaded:
    encoder: Any  # judge.metrics.encoder.TokenEncoder
    users: int = 0


_ENCODERS: dict[Key, _Loaded] = {}
_EXPECTED: Counter[Want] = Counter()
_KEPT: OrderedDict[tuple[Want, str], dict[str, Any]] = OrderedDict()  # (want, batch)
_KEPT_BYTES = [0]
LOADS: Counter[Key] = Counter()  # models loaded per key in this process (for tests)


def depth_for(want: Want, *, layers: int) -> int:
    """How many layers ``want`` needs run: its layer, or all ``layers`` for a pooled vector."""
    return want.product.layer if isinstance(want.product, Tokens) else layers


def acquire(
    *,
    model: ResolvedModel,
    want: Want,
    companions: Sequence[object] = (),
    layers: int,
    batch_size: int = 64,
    batch_tokens: int = 4096,
) -> Any:
    """The process's encoder of ``model`` deep enough for ``want`` and its companions.

    ``layers`` is the model's number of layers. The encoder is loaded once; later judges of the
    same weights get the same one (loaded again, deeper, only when a judge needs a layer past
    the loaded ones). Hand it back with :func:`release`.
    """
    from judge.metrics.encoder import TokenEncoder

    depth = max(depth_for(w, layers=layers) for w in group(want, companions))
    if want.precision != "fp32":  # an exported model gives its last layer only
        depth = depth_for(want, layers=layers)
    loaded = _ENCODERS.get(want.key)
    if loaded is None or loaded.encoder.layer < depth:
        encoder = TokenEncoder(
            path=model.path,
            layer=depth,
            batch_size=batch_size,
            batch_tokens=batch_tokens,
            precision=want.precision,
            key=model.fingerprint,
            placement=want.placement,
        )
        LOADS[want.key] += 1
        loaded = _ENCODERS[want.key] = _Loaded(encoder, users=loaded.users if loaded else 0)
    loaded.users += 1
    return loaded.encoder


def release(want: Want) -> None:
    """A judge is done with its encoder: unloaded once no judge uses or expects it."""
    loaded = _ENCODERS.get(want.key)
    if loaded is None:
        return
    loaded.users = max(0, loaded.users - 1)
    _unload_unused()


def _unload_unused() -> None:
    expected = {w.key for w, n in _EXPECTED.items() if n}
    for key in [k for k, v in _ENCODERS.items() if not v.users and k not in expected]:
        del _ENCODERS[key]


def group(want: Want, companions: Sequence[object]) -> list[Want]:
    """``want`` and its companions on the same loaded model, in a canonical order."""
    same = (w for w in companions if isinstance(w, Want) and w.key == want.key)
    return sorted({want, *same}, key=repr)


def texts_of(examples: Sequence[Example], reads: Sequence[Field]) -> list[str]:
    """The distinct texts that a judge reading ``reads`` asks for in ``examples``, in order."""
    texts: list[str] = []
    for ex in examples:
        for field in reads:
            if field == "output":
                texts.append(ex.output)
            elif field == "references":
                texts.extend(ex.references)
            else:
                texts.append((ex.source if field == "source" else ex.prompt) or "")
    return list(dict.fromkeys(texts))


def products(
    encoder: Any, examples: Sequence[Example], want: Want, companions: Sequence[object] = ()
) -> dict[str, Any]:
    """``want``'s product of every text it reads in ``examples`` (by text).

    Kept from the canonical pass of this batch when a companion ran it before; else that pass
    is run here (the union of the texts that ``want`` and its companions read, sorted, every
    product at once) and the products of the judges still expected in this process are kept.
    """
    wanted = group(want, companions)
    union = sorted({t for w in wanted for t in texts_of(examples, w.reads)})
    batch = hashlib.blake2b("\0".join(union).encode("utf-8"), digest_size=16).hexdigest()
    mine = _KEPT.get((want, batch))
    if mine is not None:
        if _EXPECTED[want] <= 1:  # no twin still to come
            _drop((want, batch))
    else:
        computed = encoder.run(union, [w.product for w in wanted])
        for w, values in zip(wanted, computed, strict=True):
            by_text = dict(zip(union, values, strict=True))
            if w == want:
                mine = by_text
            if _EXPECTED[w] >= (2 if w == want else 1):  # a judge still to come
                _keep((w, batch), {t: by_text[t] for t in texts_of(examples, w.reads)})
    assert mine is not None
    return {t: mine[t] for t in texts_of(examples, want.reads)}


def _keep(key: tuple[Want, str], values: dict[str, Any]) -> None:
    if key in _KEPT:
        return
    # each its own memory, not a view that holds a whole batch
    kept = _KEPT[key] = {t: v.detached() for t, v in values.items()}
    _KEPT_BYTES[0] += sum(v.nbytes for v in kept.values())
    while _KEPT_BYTES[0] > KEEP_BYTES and _KEPT:
        _drop(next(iter(_KEPT)))


def _drop(key: tuple[Want, str]) -> None:
    _KEPT_BYTES[0] -= sum(v.nbytes for v in _KEPT.pop(key).values())


def finished(want: Want) -> None:
    """A judge the runner expected is done: what was kept for it goes."""
    if _EXPECTED[want] > 1:
        _EXPECTED[want] -= 1
    else:
        _EXPECTED.pop(want, None)
        for key in [k for k in _KEPT if k[0] == want]:
            _drop(key)
    _unload_unused()


@contextmanager
def expecting(wants: Iterable[Want | None]) -> Iterator[None]:
    """Within the block, the judges of ``wants`` (in any order) are expected to ask for them;
    the runner calls :func:`finished` as each is done. Whatever is left is forgotten on exit."""
    listed = [w for w in wants if w is not None]
    _EXPECTED.update(listed)
    try:
        yield
    finally:
        for want in listed:
            if _EXPECTED[want] > 0:
                finished(want)

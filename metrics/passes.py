"""One forward pass per (model, text): encoders shared by every judge of a process.

Judges that run the same weights (by fingerprint) get one loaded tokenizer and model
(:func:`acquire`) and ask it for *products* of a text's forward pass: the normalised token states
of one layer (BERTScore's :class:`Tokens`) or a pooled sentence vector (similarity's
:class:`Pooled`). Before a run the runner says which products its judges will ask for
(:func:`expecting`); every pass then computes all of them at once and keeps those that a judge
still to come will ask for, so that judge finds them instead of running the model again. What is
kept is capped at :data:`KEEP_BYTES`; past it the oldest go, and are computed again if asked.

Scores do not depend on any of this: a product is a pure function of the text and the model
(batching changes float rounding only, below 1e-6). Nothing here imports torch at module level.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from judge.metrics.base import ResolvedModel
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


@dataclass(frozen=True)
class Want:
    """A product of one model on one device in one dtype: what a judge will ask the shared
    encoder for."""

    fingerprint: str
    precision: Precision
    product: Product
    placement: Placement | None = None

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
_KEPT: OrderedDict[tuple[Want, str], Any] = OrderedDict()
_KEPT_BYTES = [0]
LOADS: Counter[Key] = Counter()  # models loaded per key in this process (for tests)


def depth_for(want: Want, *, layers: int) -> int:
    """How many layers ``want`` needs run: its layer, or all ``layers`` for a pooled vector."""
    return want.product.layer if isinstance(want.product, Tokens) else layers


def acquire(
    *,
    model: ResolvedModel,
    want: Want,
    layers: int,
    batch_size: int = 64,
    batch_tokens: int = 4096,
) -> Any:
    """The process's encoder of ``model`` deep enough for ``want`` and the judges expected.

    ``layers`` is the model's number of layers. The encoder is loaded once; later judges of the
    same weights get the same one (loaded again, deeper, only when a judge needs a layer past
    the loaded ones). Hand it back with :func:`release`.
    """
    from judge.metrics.encoder import TokenEncoder

    depth = max(
        [depth_for(want, layers=layers)]
        + [depth_for(w, layers=layers) for w, n in _EXPECTED.items() if n and w.key == want.key]
    )
    loaded = _ENCODERS.get(want.key)
    if loaded is None or loaded.encoder.layer < depth_for(want, layers=layers):
        if want.precision != "fp32":  # an exported model gives its last layer only
            depth = depth_for(want, layers=layers)
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


def products(encoder: Any, texts: Sequence[str], want: Want) -> list[Any]:
    """``want``'s product of every text, in order: kept ones as they are, the rest computed in
    one pass that also computes (and keeps) what the judges still expected will ask for."""
    unique = list(dict.fromkeys(texts))
    found: dict[str, Any] = {}
    for text in unique:
        value = _KEPT.get((want, text))
        if value is not None:
            _KEPT.move_to_end((want, text))
            found[text] = value
    missing = [t for t in unique if t not in found]
    if missing:
        # the judges to come: others expected on this model, and this judge's twins
        keep = [
            w
            for w, n in _EXPECTED.items()
            if w.key == want.key and (n >= 2 if w == want else n >= 1) and _fits(w, encoder)
        ]
        wanted = [want] + [w for w in keep if w != want]
        computed = encoder.run(missing, [w.product for w in wanted])
        found.update(zip(missing, computed[0], strict=True))
        for w, values in zip(wanted, computed, strict=True):
            if w in keep:
                for text, value in zip(missing, values, strict=True):
                    _keep((w, text), value)
    return [found[t] for t in texts]


def _fits(want: Want, encoder: Any) -> bool:
    product = want.product
    return not isinstance(product, Tokens) or product.layer <= encoder.layer


def _keep(key: tuple[Want, str], value: Any) -> None:
    if key in _KEPT:
        return
    value = value.detached()  # its own memory, not a view that holds a whole batch
    _KEPT[key] = value
    _KEPT_BYTES[0] += value.nbytes
    while _KEPT_BYTES[0] > KEEP_BYTES and _KEPT:
        _, old = _KEPT.popitem(last=False)
        _KEPT_BYTES[0] -= old.nbytes


def finished(want: Want) -> None:
    """A judge the runner expected is done: what was kept for it goes."""
    if _EXPECTED[want] > 1:
        _EXPECTED[want] -= 1
    else:
        _EXPECTED.pop(want, None)
        for key in [k for k in _KEPT if k[0] == want]:
            _KEPT_BYTES[0] -= _KEPT.pop(key).nbytes
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

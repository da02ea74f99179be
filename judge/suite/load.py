"""Loading the suite file with everything it names, without loading a model.

:func:`load_suite` reads the YAML, the data and every system's outputs, looks up every metric and
checks its params, locates every model and parses every gate. Anything wrong raises one
:class:`UserError` naming the file, the YAML path (with its line) or the data row. A model that
is not on this machine is noted, not raised: the suite is still well formed (``judge validate``
warns), and :meth:`Suite.require_models` stops a run that needs it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from judge.errors import UserError, shorten
from judge.metrics import registry
from judge.metrics.base import (
    Metric,
    MetricError,
    MetricParams,
    ResolvedModel,
    file_param_names,
)
from judge.metrics.text import did_you_mean
from judge.models import locate as models
from judge.suite import formats, gate_spec
from judge.suite.data import SUFFIXES, Item, check_regular_file, read_items, read_outputs
from judge.suite.schema import (
    LABEL,
    ColumnsSpec,
    LabelsSpec,
    MetricSpec,
    RunSpec,
    SuiteSpec,
    SystemSpec,
)
from judge.suite.yamlpath import format_path, line_of
from judge.suite.yamlsafe import load_yaml

IN_MEMORY = "judge.evaluate()"  # a suite built in memory, in messages


@dataclass
class MetricConfig:
    """A metric entry of the suite, checked: class, params and the models it names."""

    index: int
    label: str
    cls: type[Metric]
    params: MetricParams
    models: dict[str, models.Located] = field(default_factory=dict)
    # model params whose model is not on this machine, with the error that says how to get it
    missing: dict[str, UserError] = field(default_factory=dict)

    @property
    def yaml_path(self) -> str:
        return f"metrics[{self.index}]"

    def score_names(self) -> tuple[str, ...]:
        return tuple(f"{self.label}.{s}" if s else self.label for s in self.cls.subscores)

    def directions(self) -> dict[str, bool]:
        """Each score name and whether higher is better."""
        higher = self.cls.directions(self.params)
        return dict(zip(self.score_names(), (higher[s] for s in self.cls.subscores), strict=True))

    def build(self, *, resolved: dict[str, ResolvedModel] | None = None) -> Metric:
        """A metric instance; without ``resolved``, models carry no fingerprint (validation)."""
        if resolved is None:
            resolved = {
                k: ResolvedModel(
                    self.cls.model_refs(self.params)[k].reference,
                    loc.path,
                    "unverified",
                    loc.origin,
                )
                for k, loc in self.models.items()
            }
            refs = self.cls.model_refs(self.params)
            for k in self.missing:  # a path that does not exist: the metric reads nothing
                reference = refs[k].reference
                resolved[k] = ResolvedModel(reference, Path(reference), "unavailable", "missing")
        return self.cls(params=self.params, models=resolved)


@dataclass
class Suite:
    """A checked suite: from a suite file (:func:`load_suite`), or built in memory from a
    DataFrame or records (:func:`build_suite`, ``path`` None)."""

    path: Path | None
    spec: RunSpec
    digest: str
    items: list[Item]
    outputs: dict[str, dict[str, str]]  # system -> item id -> output
    metrics: list[MetricConfig]
    gates: list[gate_spec.Gate]
    gate_lines: list[int | None] = field(default_factory=list)  # each gate's line in the file

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def base_dir(self) -> Path:
        """Where relative paths (models, files) are looked up: the suite file's folder, or the
        working folder for a suite built in memory."""
        return self.path.parent if self.path is not None else Path.cwd()

    @property
    def origin(self) -> str:
        """The suite in messages: its file, or the API that built it."""
        return str(self.path) if self.path is not None else IN_MEMORY

    @property
    def file_spec(self) -> SuiteSpec:
        """The suite file's own spec (data, systems, labels); a suite built in memory has none."""
        if not isinstance(self.spec, SuiteSpec):
            raise UserError(
                "this needs a suite file (data and systems files); write the data as a suite "
                "with `judge init`",
                where=self.origin,
            )
        return self.spec

    @property
    def systems(self) -> list[str]:
        return list(self.outputs)

    def score_names(self) -> list[str]:
        return [n for m in self.metrics for n in m.score_names()]

    def input_files(self) -> list[Path]:
        """The files the suite reads: itself, its data, its systems' outputs, its labels (none
        for a suite built in memory)."""
        if self.path is None:
            return []
        spec, base = self.file_spec, self.base_dir
        files = [self.path, base / spec.data]
        files += [base / (s if isinstance(s, str) else s.file) for s in spec.systems.values()]
        if spec.labels is not None and spec.labels.file is not None:
            files.append(base / spec.labels.file)
        return files

    def higher_is_better(self) -> dict[str, bool]:
        return {n: h for m in self.metrics for n, h in m.directions().items()}

    def missing_models(self) -> list[UserError]:
        """One error per model the suite names that is not on this machine."""
        return [err for m in self.metrics for err in m.missing.values()]

    def require_models(self) -> None:
        """Raise the first missing model's error (saying how many more there are)."""
        missing = self.missing_models()
        if not missing:
            return
        first = missing[0]
        more = (
            f" ({len(missing) - 1} more model(s) of the suite are missing too; "
            "`judge validate` lists them, `judge models pull --suite` fetches them)"
            if len(missing) > 1
            else ""
        )
        raise UserError(first.message + more, where=first.where)

    def skipped(self) -> dict[str, list[str]]:
        """System -> ids of items whose empty output is not scored (``empty_outputs: skip``)."""
        if self.spec.empty_outputs != "skip":
            return {}
        found = {
            system: [item_id for item_id, text in per.items() if not text.strip()]
            for system, per in self.outputs.items()
        }
        return {system: ids for system, ids in found.items() if ids}


@dataclass(frozen=True)
class SystemOutputs:
    """One system's outputs as read, with where each came from (for messages)."""

    values: dict[str, str]  # item id -> output
    where: Callable[[str], str]  # item id -> the place of its row
    source: str  # the file (or the DataFrame) they came from


class _Where:
    """Builds ``suite.yaml:LINE: yaml.path`` locations for one suite file, or
    ``judge.evaluate(): metrics[0]`` for a suite built in memory."""

    def __init__(self, path: Path | None, text: str | None) -> None:
        self.path, self.text = path, text

    def __call__(self, *parts: str | int) -> str:
        if self.path is None or self.text is None:
            head = IN_MEMORY
        else:
            line = line_of(self.text, parts)
            head = f"{self.path}:{line}" if line is not None else str(self.path)
        return f"{head}: {format_path(parts)}" if parts else head


def load_suite(path: Path | str) -> Suite:
    """Read and check a suite file and everything it names."""
    path = Path(path)
    if (path.suffix.lower() in SUFFIXES and path.exists()) or formats.is_dataset_folder(path):
        raise UserError(
            f"this is a data file, not a suite; `judge init {path}` writes a suite that "
            "scores it (or score it from Python with judge.evaluate)",
            where=str(path),
        )
    text = _read_text(path)
    where = _Where(path, text)
    raw = _parse_yaml(path, text)
    spec = _validate_spec(raw, where, model=SuiteSpec)
    assert isinstance(spec, SuiteSpec)
    base = path.parent
    data = _locate(spec.data, base=base, where=where("data"))
    items = read_items(data, max_chars=spec.max_text_chars, columns=spec.columns.mapping())
    if not items:
        raise UserError("the data file has no items; add one row per item", where=str(data))
    outputs = _read_systems(spec, base=base, items=items, where=where)
    if spec.labels is not None and spec.labels.file is not None:
        labels_file = base / spec.labels.file
        if not labels_file.is_file():
            raise UserError(
                f"labels file {labels_file} not found (paths are relative to the suite file)",
                where=where("labels", "file"),
            )
    suite = _assemble(
        spec,
        path=path,
        digest=hashlib.sha256(text.encode()).hexdigest()[:16],
        items=items,
        outputs=outputs,
        where=where,
        of=f" of {data}",
        item_place=lambda i: f"row {i + 1}",
    )
    suite.gate_lines = [line_of(text, ("gates", i)) for i in range(len(suite.gates))]
    return suite


def build_suite(
    raw: dict[str, Any], *, items: list[Item], outputs: dict[str, SystemOutputs]
) -> Suite:
    """A suite built in memory (``judge.evaluate``): ``raw`` holds what a suite file would say
    but data and systems (name, metrics, gates, baseline, seed...), checked as a suite file is;
    ``items`` and ``outputs`` come from a DataFrame or records."""
    where = _Where(None, None)
    spec = _validate_spec(raw, where, model=RunSpec)
    if not items:
        raise UserError("the data has no items; give one row per item", where=IN_MEMORY)
    for system in outputs:
        if not LABEL.match(system):
            raise UserError(
                f"system name '{shorten(system)}' may hold only letters, digits, _ and -",
                where=f"{IN_MEMORY}: data",
            )
    checked = {
        system: checked_outputs(system, found, items=items, spec=spec)
        for system, found in outputs.items()
    }
    blob = json.dumps(
        [raw, [i.to_json() for i in items], checked], sort_keys=True, default=str
    ).encode()
    return _assemble(
        spec,
        path=None,
        digest=hashlib.sha256(blob).hexdigest()[:16],
        items=items,
        outputs=checked,
        where=where,
        of="",
        item_place=lambda i: f"item '{shorten(items[i].id)}'",
    )


def _assemble(
    spec: RunSpec,
    *,
    path: Path | None,
    digest: str,
    items: list[Item],
    outputs: dict[str, dict[str, str]],
    where: _Where,
    of: str,
    item_place: Callable[[int], str],
) -> Suite:
    """What a suite file and a suite built in memory check alike: metrics, fields, gates."""
    base = path.parent if path is not None else Path.cwd()
    metrics = _metric_configs(spec, base=base, where=where)
    _check_fields(metrics, items, where=where, of=of, item_place=item_place)
    suite = Suite(
        path=path,
        spec=spec,
        digest=digest,
        items=items,
        outputs=outputs,
        metrics=metrics,
        gates=[],
    )
    suite.gates = _gates(spec, suite, where=where)
    suite.gate_lines = [None] * len(suite.gates)
    if spec.baseline is not None and spec.baseline not in outputs:
        raise UserError(
            f"unknown system '{spec.baseline}'; the suite's systems: {', '.join(outputs)}",
            where=where("baseline"),
        )
    return suite


def _locate(reference: str, *, base: Path, where: str) -> formats.DataRef:
    try:
        return formats.locate(reference, base=base)
    except UserError as exc:
        raise UserError(exc.message, where=where) from None


def _read_text(path: Path) -> str:
    check_regular_file(path, what="suite file", hint="; check the path")
    try:
        data = path.read_bytes()
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UserError(
            f"the suite file is not valid UTF-8 (byte {exc.start}); re-save it as UTF-8",
            where=f"{path}:{line}",
        ) from None
    except OSError as exc:
        raise UserError(
            f"cannot read the suite file ({exc.strerror}); check that it is readable by this user",
            where=str(path),
        ) from None


def _parse_yaml(path: Path, text: str) -> dict[str, Any]:
    if not text.strip():
        raise UserError(
            "the suite file is empty; a suite names at least name, data, systems and metrics",
            where=str(path),
        )
    raw = load_yaml(path, text)
    if not isinstance(raw, dict):
        raise UserError(
            "a suite is a YAML mapping with name, data, systems and metrics", where=str(path)
        )
    return raw


def _validate_spec(raw: dict[str, Any], where: _Where, *, model: type[RunSpec]) -> RunSpec:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        err = _best_error(exc)
        parts = _clean_loc(err["loc"])
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = f"unknown key '{parts[-1]}'" + _key_hint(str(parts[-1]), parts[:-1], model)
        elif err["type"] == "missing":
            msg = f"required key '{parts[-1]}' is missing"
        raise UserError(msg, where=where(*parts)) from None


def _best_error(exc: ValidationError) -> Any:
    """Of a union's errors, the one that went deepest (the most specific)."""
    return max(exc.errors(), key=lambda e: len(_clean_loc(e["loc"])))


def _clean_loc(loc: tuple[Any, ...]) -> list[str | int]:
    """Drop pydantic's union branch names (``str``, ``MetricSpec``...) from a location."""
    branches = {
        "str",
        "MetricSpec",
        "SystemSpec",
        "LabelsSpec",
        "ColumnsSpec",
        "function-after[_system_names(), dict]",
    }
    return [p for p in loc if not (isinstance(p, str) and p in branches)]


def _key_hint(key: str, parent: list[str | int], model: type[RunSpec]) -> str:
    known: list[str] = list(model.model_fields)
    if parent and parent[0] == "metrics":
        known = ["name", "as", "params"]
    elif parent and parent[0] == "systems":
        known = list(SystemSpec.model_fields)
    elif parent and parent[0] == "labels":
        known = list(LabelsSpec.model_fields)
    elif parent and parent[0] == "columns":
        known = list(ColumnsSpec.model_fields)
    return did_you_mean(key, known) or f" (allowed: {', '.join(known)})"


def _read_systems(
    spec: SuiteSpec, *, base: Path, items: list[Item], where: _Where
) -> dict[str, dict[str, str]]:
    columns = spec.columns.mapping()
    id_only = {k: v for k, v in columns.items() if k == "id"}
    outputs: dict[str, dict[str, str]] = {}
    for system, entry in spec.systems.items():
        sys_spec = SystemSpec(file=entry) if isinstance(entry, str) else entry
        file = _locate(sys_spec.file, base=base, where=where("systems", system))
        if isinstance(file, Path) and not file.exists():
            raise UserError(
                f"outputs file {file} not found (paths are relative to the suite file)",
                where=where("systems", system),
            )
        column = sys_spec.column or columns.get("output", "output")
        values, rows = read_outputs(
            file, column=column, max_chars=spec.max_text_chars, columns=id_only
        )
        found = SystemOutputs(values=values, where=_rows_of(file, rows), source=str(file))
        outputs[system] = checked_outputs(system, found, items=items, spec=spec)
    return outputs


def _rows_of(file: formats.DataRef, rows: dict[str, int]) -> Callable[[str], str]:
    """Item id -> ``file: row N`` of its output."""
    return lambda item_id: f"{file}: row {rows[item_id]}"


def checked_outputs(
    system: str, found: SystemOutputs, *, items: list[Item], spec: RunSpec
) -> dict[str, str]:
    """One system's outputs in item order: one per item, none for an unknown item, and empty
    ones only as ``empty_outputs`` allows."""
    ids = {item.id for item in items}
    values = found.values
    unknown = [i for i in values if i not in ids]
    if unknown:
        raise UserError(
            f"output for unknown item id '{shorten(unknown[0])}'"
            + (f" and {len(unknown) - 1} more" if len(unknown) > 1 else "")
            + "; every id must be in the data file",
            where=found.where(unknown[0]),
        )
    missing = [item.id for item in items if item.id not in values]
    if missing:
        shown = ", ".join(shorten(m) for m in missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        raise UserError(
            f"system '{system}' has no output for item(s) {shown}; add a row per item "
            "(an empty output is allowed)",
            where=found.source,
        )
    empty = [i for i, text in values.items() if not text.strip()]
    if empty and spec.empty_outputs == "error":
        raise UserError(
            f"empty output for item '{shorten(empty[0])}'"
            + (f" and {len(empty) - 1} more" if len(empty) > 1 else "")
            + "; the suite sets empty_outputs: error (use score or skip to accept them)",
            where=found.where(empty[0]),
        )
    return {item.id: values[item.id] for item in items}


def _metric_configs(spec: RunSpec, *, base: Path, where: _Where) -> list[MetricConfig]:
    configs: list[MetricConfig] = []
    labels: dict[str, int] = {}
    for index, entry in enumerate(spec.metrics):
        m = MetricSpec(name=entry) if isinstance(entry, str) else entry
        try:
            cls = registry.get(m.name)
        except MetricError as exc:
            at = ("metrics", index) if isinstance(entry, str) else ("metrics", index, "name")
            raise UserError(str(exc), where=where(*at)) from None
        label = m.label or (cls.name if ":" in m.name else m.name)
        if not LABEL.match(label):
            raise UserError(
                f"metric label '{label}' may hold only letters, digits, _ and -",
                where=where("metrics", index, "as"),
            )
        if label in labels:
            raise UserError(
                f"metric '{label}' appears twice (also metrics[{labels[label]}]); give one of "
                "them another name with `as: <label>`",
                where=where("metrics", index),
            )
        labels[label] = index
        params = _params(cls, m.params, where=lambda *p, i=index: where("metrics", i, "params", *p))
        params = _files_relative_to(params, base=base, where=where, index=index)
        located, missing = _locate_models(cls, params, base=base, where=where, index=index)
        configs.append(MetricConfig(index, label, cls, params, located, missing))
    return configs


def _locate_models(
    cls: type[Metric], params: MetricParams, *, base: Path, where: _Where, index: int
) -> tuple[dict[str, models.Located], dict[str, UserError]]:
    """Find every model the metric names; each found must be a model folder whose code may run.

    A model not on this machine is not an error yet (``judge validate`` warns, ``judge eval``
    stops): it comes back in the second mapping with the error that says how to get it.
    """
    located, missing = {}, {}
    for pname, ref in cls.model_refs(params).items():
        at = where("metrics", index, "params", *pname.split("."))
        try:
            found = models.locate(ref.reference, base_dir=base)
        except UserError as exc:
            missing[pname] = UserError(exc.message, where=at)
            continue
        try:
            models.check_model_folder(found.path)
        except UserError as exc:
            raise UserError(exc.message, where=at) from None
        code = models.custom_code(found.path)
        if code is not None and not ref.trust_remote_code:
            raise UserError(
                f"model {found.path} ships Python code of its own (auto_map in {code}), which "
                "judge does not run"
                + (
                    "; set params.trust_remote_code: true only if you trust that code"
                    if ref.allows_code
                    else f"; metric '{cls.name}' cannot use it, pick a model without custom code"
                ),
                where=at,
            )
        located[pname] = found
    return located, missing


def _params(cls: type[Metric], values: dict[str, Any], *, where: Any) -> MetricParams:
    try:
        return cls.Params.model_validate(values)
    except ValidationError as exc:
        err = exc.errors()[0]
        parts = [p for p in err["loc"] if isinstance(p, str | int)]
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            known = list(cls.Params.model_fields)
            hint = did_you_mean(str(parts[-1]), known)
            msg = (
                f"unknown param '{parts[-1]}' for metric '{cls.name}'{hint} "
                f"(params: {', '.join(known) or 'none'})"
            )
        raise UserError(msg, where=where(*parts)) from None


def _files_relative_to(
    params: MetricParams, *, base: Path, where: _Where, index: int
) -> MetricParams:
    """File params become paths relative to the suite file, checked to exist."""
    update = {}
    for name in file_param_names(type(params)):
        value = getattr(params, name)
        if value is None:
            continue
        path = base / Path(str(value)).expanduser()
        if not path.is_file():
            raise UserError(
                f"file {path} not found (paths are relative to the suite file)",
                where=where("metrics", index, "params", name),
            )
        update[name] = str(path.resolve())
    return params.model_copy(update=update) if update else params


def _check_fields(
    metrics: list[MetricConfig],
    items: list[Item],
    *,
    where: _Where,
    of: str,
    item_place: Callable[[int], str],
) -> None:
    for cfg in metrics:
        try:
            needed = cfg.build().fields()
        except MetricError as exc:
            raise UserError(str(exc), where=where("metrics", cfg.index)) from None
        for name in ("reference", "source", "prompt"):
            if name not in needed:
                continue
            lacking = [
                i
                for i, item in enumerate(items)
                if not (item.references if name == "reference" else getattr(item, name))
            ]
            if lacking:
                raise UserError(
                    f"metric '{cfg.label}' needs '{name}', but {len(lacking)} item(s){of} "
                    f"have none (first: {item_place(lacking[0])}); add the column or drop "
                    "the metric",
                    where=where("metrics", cfg.index),
                )


def _gates(spec: RunSpec, suite: Suite, *, where: _Where) -> list[gate_spec.Gate]:
    parsed = []
    for index, raw_gate in enumerate(spec.gates):
        try:
            gate = gate_spec.parse_gate(raw_gate)
            gate_spec.check_gate(gate, score_names=suite.score_names(), systems=suite.systems)
        except gate_spec.GateError as exc:
            raise UserError(str(exc), where=where("gates", index)) from None
        parsed.append(gate)
    return parsed

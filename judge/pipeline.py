"""One evaluation end to end: load, score through the store, aggregate, gate, write the files."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from judge._version import __version__
from judge.errors import UserError
from judge.gitinfo import git_info
from judge.paths import check_distinct, check_target
from judge.reports.analysis.baseline import MEANS_ONLY, changed_judges
from judge.reports.analysis.summarize import RunFacts, build_summary
from judge.reports.outputs import write_run_files
from judge.run.engine import Engine, make_engine
from judge.run.progress import Progress
from judge.run.runner import RunResult, run_suite
from judge.store import refs
from judge.store.refs import ResolvedRun
from judge.store.sqlite import DEFAULT_STORE, Store, StoredScore
from judge.store.summary import GateVerdict, GitInfo, JudgeChange, JudgeInfo, Summary, Work
from judge.suite.human_labels import Labels, LabelsRequest, find_labels
from judge.suite.load import Suite, load_suite
from judge.suite.schema import LabelsSpec, SuiteSpec


@dataclass
class Outcome:
    suite: Suite
    result: RunResult
    summary: Summary
    out_dir: Path | None  # None: no files were written (write_files=False)
    files: list[Path]
    baseline: ResolvedRun | None = None
    notes: list[str] = field(default_factory=list)
    scores: list[StoredScore] = field(default_factory=list)  # in the order of scores.csv
    store_path: Path = Path(DEFAULT_STORE)

    @property
    def passed(self) -> bool:
        return self.summary.passed

    @property
    def gates(self) -> list[GateVerdict]:
        return self.summary.gates

    @property
    def report(self) -> Path:
        """The report written for this run."""
        if self.out_dir is None:
            raise ValueError("this run wrote no files (write_files=False)")
        return self.out_dir / "report.html"


def evaluate(
    *,
    suite_path: Path | str | None = None,
    suite: Suite | None = None,
    out_dir: Path | str | None = None,
    write_files: bool = True,
    store_path: Path | str = DEFAULT_STORE,
    progress: Progress | None = None,
    baseline: str | None = None,
    allow_judge_change: bool = False,
    labels: LabelsRequest | None = None,
    engine: Engine | str = "local",
    address: str | None = None,
    writes: Mapping[str, Path | None] | None = None,
) -> Outcome:
    """Run a suite and write ``report.html``, ``summary.json`` and ``scores.csv``.

    The suite is read from ``suite_path``, or given built (``suite``, such as a DataFrame's);
    ``write_files=False`` writes no files (the scores and summary are in the store and the
    outcome).
    ``baseline``: ``latest``, a run id or a path (see :mod:`judge.store.refs`) to compare with;
    ``labels``: human labels to calibrate the judges against (``summary["calibration"]``; a
    suite with a cascade calibrates it on its audit sample without them); the suite's own
    ``labels:`` give each system's mean on the human scale (``summary["human_scale"]``);
    ``engine`` scores the batches: ``"local"``, ``"ray"`` (joining the cluster at ``address``,
    or a local one) or an engine the caller made and closes; ``writes``: other files the caller
    will write (``{"--junit": path}``), checked with the store and ``out_dir`` to be apart from
    each other and from the suite's own files.
    """
    if suite is None:
        if suite_path is None:
            raise TypeError("give suite_path or suite")
        suite = load_suite(suite_path)
    check_distinct(
        inputs=suite.input_files(),
        outputs={"--store": Path(store_path), **(writes or {})},
        out=Path(out_dir) if out_dir is not None else None,
    )
    suite.require_models()  # before the store is touched
    early = None
    if baseline is not None:
        refs.check_reference(baseline, store_path=store_path)
        early = refs.read_early(baseline, store_path=store_path)  # a bad folder: exit 2 now
    label_set = _labels(suite, labels) if labels is not None else None
    human = label_set
    if human is None and _labels_spec(suite) is not None:
        human = find_labels(suite=suite, request=LabelsRequest())
    if out_dir is not None:
        check_target(Path(out_dir), option="--out", folder=True)
    with contextlib.ExitStack() as cleanup:
        if isinstance(engine, str):  # made here, so closed here
            scorer = cleanup.enter_context(contextlib.closing(make_engine(engine, address=address)))
        else:
            scorer = engine
        store = cleanup.enter_context(contextlib.closing(Store(store_path)))
        store.close_abandoned_runs()
        base, notes = _find_baseline(baseline, store=store, suite=suite, early=early)
        changed: dict[str, JudgeChange] = {}

        def check_judges(judges: dict[str, JudgeInfo]) -> None:
            if base is not None:
                changed.update(changed_judges(judges, base, allow=allow_judge_change))

        result = run_suite(
            suite=suite,
            store=store,
            progress=progress,
            check_judges=check_judges,
            batch_size=suite.spec.batch_size,
            engine=scorer,
        )
        if changed:
            notes.append(
                f"judges changed since {base.label if base else 'the baseline'}: "
                f"{', '.join(changed)}; compared anyway (--allow-judge-change)"
            )
        # the summary reads evidence only for cascades (their audits and escalations)
        cascades = {label for label, info in result.judges.items() if info.metric == "cascade"}
        scores = store.scores(result.run_id, details=cascades)
        summary = build_summary(
            facts=run_facts(suite, result, engine=scorer),
            scores=scores,
            gates=suite.gates,
            baseline=base,
            changed=changed,
            labels=label_set,
            calibrate=labels is not None,
            human=human,
        )
        store.finish_run(run_id=result.run_id, summary=summary)
        target: Path | None = None
        files: list[Path] = []
        if write_files:
            target = Path(out_dir) if out_dir is not None else Path("judge-runs") / result.run_id
            files = _write_files(store=store, run_id=result.run_id, target=target, baseline=base)
    return Outcome(suite, result, summary, target, files, base, notes, scores, Path(store_path))


def _labels(suite: Suite, request: LabelsRequest) -> Labels | None:
    """The labels ``judge calibrate`` asked for; none named is fine for a suite whose cascades
    calibrate on their audit samples."""
    has_cascade = any(cfg.cls.name == "cascade" for cfg in suite.metrics)
    named = request.column is not None or _labels_spec(suite) is not None
    if has_cascade and not named:
        return None
    return find_labels(suite=suite, request=request)


def _labels_spec(suite: Suite) -> LabelsSpec | None:
    """The suite file's ``labels:`` (a suite built in memory has none)."""
    return suite.spec.labels if isinstance(suite.spec, SuiteSpec) else None


def _write_files(
    *, store: Store, run_id: str, target: Path, baseline: ResolvedRun | None
) -> list[Path]:
    try:
        return write_run_files(store=store, run_id=run_id, out_dir=target, previous=baseline)
    except OSError as exc:
        raise UserError(
            f"cannot write the run's files: {exc.strerror or exc}; the scores are stored "
            f"(run {run_id}); free space or choose another --out",
            where=str(getattr(exc, "filename", None) or target),
        ) from None


def _find_baseline(
    ref: str | None, *, store: Store, suite: Suite, early: ResolvedRun | None = None
) -> tuple[ResolvedRun | None, list[str]]:
    """The baseline run, resolved once for the whole run (gates, summary and report);
    ``early``: the run folder ``ref`` names, read before the store was opened."""
    if ref is None:
        return None, []
    found = refs.resolve(ref, store=store, suite=suite.name)
    if found is None:
        return None, [
            f"no earlier complete run of '{suite.name}' in {store.path}: nothing to compare "
            "with, so the baseline-run gates are skipped"
        ]
    if early is not None and found.path == early.ref.path:
        base = replace(early, in_store=store.run(early.summary.run_id) is not None)
    else:
        base = refs.load(found, store=store)
    notes = []
    if base.summary.suite != suite.name:
        notes.append(f"the baseline is a run of '{base.summary.suite}', not '{suite.name}'")
    if base.table is None:
        notes.append(MEANS_ONLY)
    return base, notes


def run_facts(suite: Suite, result: RunResult, *, engine: Engine) -> RunFacts:
    """What the summary says about the run besides its statistics."""
    spec = suite.spec
    git = git_info(suite.path if suite.path is not None else Path.cwd())
    return RunFacts(
        suite=suite.name,
        run_id=result.run_id,
        systems=suite.systems,
        score_names=suite.score_names(),
        higher_is_better=suite.higher_is_better(),
        judges=result.judges,
        n_items=len(suite.items),
        created=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        judge_version=__version__,
        baseline_system=spec.baseline or suite.systems[0],
        seed=spec.seed,
        resamples=spec.bootstrap,
        correction=spec.correction,
        work=Work(
            computed=result.computed,
            cached=result.cached,
            seconds=result.seconds,
            engine=engine.name,
            workers=list(engine.workers),
            usage=result.usage,
        ),
        git=GitInfo.model_validate(git) if git is not None else None,
        skipped=result.skipped,
    )

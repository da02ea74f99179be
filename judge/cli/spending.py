"""Terminal lines for judges that cost money: what endpoint judges spent, what each cascade
escalated and saved, and the band ``judge calibrate`` chooses for it."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from judge.cli.console import plain
from judge.store.summary import CascadeCalibration, CascadeSummary, Summary


def print_spending(console: Console, summary: Summary) -> None:
    """One line per judge asking a server and per cascade."""
    for label, used in summary.work.usage.items():
        console.print(
            plain(
                f"{label}: {used.answers} new answer(s), {used.cached} from the store; "
                f"{used.requests} request(s), {used.tokens} token(s) "
                f"({used.prompt_tokens} prompt, {used.completion_tokens} answer)"
            )
        )
    for label, cascade in summary.cascades.items():
        console.print(plain(cascade_line(label, cascade)))


def cascade_line(label: str, c: CascadeSummary) -> str:
    low, high = c.band
    line = (
        f"{label}: band [{low:g}, {high:g}] escalated {c.escalated} of {c.units} units "
        f"({_pct(c.share_escalated)}); the large judge answers {c.asked} (with {c.audit} "
        f"audited), {c.saved} fewer than alone ({_pct(c.share_saved)} saved)"
    )
    if c.tokens_saved is not None:
        line += f", about {c.tokens_saved} tokens saved"
    if c.agreement is not None and c.agreement.value is not None:
        line += (
            f"; agrees with the large judge on {c.agreement.value:.3f} of {c.audit_n} audited "
            f"units [{c.agreement.ci_low:.3f}, {c.agreement.ci_high:.3f}]"
        )
    return line


def band_title(label: str, cal: CascadeCalibration) -> Text:
    """The title line of :func:`band_table`: the target and the chosen band."""
    chosen = (
        f"chosen band [{cal.chosen[0]:.4g}, {cal.chosen[1]:.4g}] (escalates "
        f"{_pct(cal.share_escalated)})"
        if cal.chosen is not None
        else "no band chosen"
    )
    return plain(
        f"{label}: agreement with the {cal.reference} on {cal.n} audited units; target "
        f"{cal.target:g} with confidence {cal.confidence:g} (fixed-sequence, widest first) · "
        f"{chosen}"
    )


def band_table(cal: CascadeCalibration) -> Table:
    """The agreement-vs-escalation curve of one cascade (its title: :func:`band_title`)."""
    table = Table()
    for column in ("band", "escalated", "agreement", "lower bound", "passed"):
        table.add_column(column, justify="left" if column == "band" else "right")
    for p in cal.curve:
        table.add_row(
            f"[{p.low:.4g}, {p.high:.4g}]",
            _pct(p.share_escalated),
            f"{p.agreement:.3f}",
            f"{p.lower_bound:.3f}",
            "yes" if p.passed else "no",
        )
    if cal.note:
        table.caption = plain(cal.note)
        table.caption_justify = "left"
    return table


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.1f}%"

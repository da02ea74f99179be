"""A metric whose details and flags carry markup, as a careless or hostile plug-in's might."""

from __future__ import annotations

from metrics import Example, Metric, Score

PAYLOAD = '<script>window.__pwned = "details"</script><img src=x onerror="window.__pwned=1">'


class Hostile(Metric):
    name = "hostile"
    description = "scores 0.5 and explains itself with markup (tests)"

    def _score(self, examples: list[Example]) -> list[Score]:
        return [
            Score(
                values={"": 0.5},
                details={"why": PAYLOAD, "output": ex.output},
                flags=('flag"><script>window.__pwned="flag"</script>',),
            )
            for ex in examples
        ]

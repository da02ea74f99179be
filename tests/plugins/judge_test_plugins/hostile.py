"""A metric whose details and flags carry markup, as a careless or hostile plug-in's might."""

from __future__ import annotations

from pydantic import Field

from judge.metrics import Example, Metric, MetricParams, Score

PAYLOAD = '<script>window.__pwned = "details"</script><img src=x onerror="window.__pwned=1">'


class HostileParams(MetricParams):
    hostile: bool = Field(default=True, description="markup in details and flags, or plain text")


class Hostile(Metric):
    name = "hostile"
    description = "scores 0.5 and explains itself with markup (tests)"
    Params = HostileParams

    def _score(self, examples: list[Example]) -> list[Score]:
        assert isinstance(self.params, HostileParams)
        text = PAYLOAD if self.params.hostile else "plain text"
        flag = 'flag"><script>window.__pwned="flag"</script>' if self.params.hostile else "flag"
        return [
            Score(values={"": 0.5}, details={"why": text, "output": ex.output}, flags=(flag,))
            for ex in examples
        ]

"""The ``facts`` judge: checkable facts of an output, looked for in its source (no model).

``extract`` reads the facts of a text; ``support`` finds where another text supports one.
"""

from judge.metrics.facts.extract import extract
from judge.metrics.facts.match import index, support
from judge.metrics.facts.metric import Facts, FactsParams
from judge.metrics.facts.model import Clock, Day, Fact, Quantity, Words

__all__ = [
    "Clock",
    "Day",
    "Fact",
    "Facts",
    "FactsParams",
    "Quantity",
    "Words",
    "extract",
    "index",
    "support",
]

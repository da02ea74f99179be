"""A tiny evaluate module for tests: word-overlap F1 of each prediction with its reference(s)."""

import datasets
import evaluate


def _f1(prediction: str, reference: str) -> float:
    pred, ref = prediction.lower().split(), reference.lower().split()
    common = len(set(pred) & set(ref))
    if not pred or not ref or not common:
        return 0.0
    precision, recall = common / len(set(pred)), common / len(set(ref))
    return 2 * precision * recall / (precision + recall)


class WordF1(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description="word-overlap F1 per prediction (best of its references)",
            citation="",
            inputs_description="predictions: strings; references: a string or a list of them",
            features=[
                datasets.Features(
                    {
                        "predictions": datasets.Value("string"),
                        "references": datasets.Sequence(datasets.Value("string")),
                    }
                ),
                datasets.Features(
                    {
                        "predictions": datasets.Value("string"),
                        "references": datasets.Value("string"),
                    }
                ),
            ],
        )

    def _compute(self, predictions, references, lowercase=True):
        scores = []
        for prediction, refs in zip(predictions, references, strict=True):
            refs = [refs] if isinstance(refs, str) else refs
            scores.append(max(_f1(prediction, r) for r in refs))
        return {"f1": scores}

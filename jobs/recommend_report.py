"""`coursegate recommend --evaluate`'s answer as a Markdown table."""

from __future__ import annotations

from domain.recommendations.evaluation import CUTOFF, Evaluation, Quality


def evaluation_table(evaluation: Evaluation) -> str:
    baseline = evaluation.popularity.ndcg
    rows = [
        ("popularity", evaluation.popularity),
        ("content only", evaluation.content_only),
        ("co-subscription only", evaluation.co_subscription_only),
        (f"blend (weight {evaluation.blend_weight:g})", evaluation.blend),
    ]
    lines = [
        f"| method | precision@{CUTOFF} | recall@{CUTOFF} | NDCG@{CUTOFF} | NDCG vs popularity |",
        "|---|---|---|---|---|",
        *(f"| {name} | {_figures(quality, baseline)} |" for name, quality in rows),
        "",
        f"{evaluation.reported_on:,} test users reported; the blend weight was picked on"
        f" {evaluation.tuned_on:,} others, NDCG@{CUTOFF} by weight: "
        + ", ".join(f"{w:g}: {n:.4f}" for w, n in evaluation.ndcg_by_weight.items()),
    ]
    return "\n".join(lines)


def _figures(quality: Quality, baseline: float) -> str:
    relative = f"{quality.ndcg / baseline:.2f}x" if baseline else "n/a"
    return f"{quality.precision:.4f} | {quality.recall:.4f} | {quality.ndcg:.4f} | {relative}"

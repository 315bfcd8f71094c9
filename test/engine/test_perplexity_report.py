"""eval.json's perplexity intervals resample documents: with one there is no interval to give."""

from __future__ import annotations

from voice_draft_engine.voice_metrics.perplexity import DocumentScores, perplexity_report


def test_one_held_out_document_gives_no_interval_and_says_why() -> None:
    one = perplexity_report(DocumentScores([300.0], [100]), DocumentScores([250.0], [100]), resamples=200)
    assert one["ratio"] < 1 and one["documents"] == 1
    assert all(v != v for v in one["ratio_ci"] + one["base_ci"] + one["tuned_ci"])  # NaN: null in eval.json
    assert one["interval_note"] == "1 held-out document: no interval (resampling needs 2 or more)"

    three = perplexity_report(DocumentScores([300.0, 280.0, 310.0], [100, 100, 100]),
                              DocumentScores([250.0, 270.0, 240.0], [100, 100, 100]), resamples=200)
    low, high = three["ratio_ci"]
    assert low < three["ratio"] < high and "interval_note" not in three

"""Objective voice scores: how much the tuned model sounds like the writer.

The pure metrics (stylometry, attribution, habits, bootstrap) need no model and
are tested on hand-made texts; `perplexity` and `evaluate` load the run's model.
"""

"""Synthetic drafts (issue #20): plain inputs for the rewrite task made from the writer's own paragraphs.

Most writers keep no rough drafts, so the draft -> finished tier (T1) is empty and the voice
never learns the rewrite; an instruct model then answers a rewrite request like a chat
assistant. Here each training paragraph gets a plain version that says the same things
(destyle.py: a deterministic pass that can only cut, split and swap words from a closed
list; paraphrase.py: the base model's restatement, kept only when it passes the content
checks), and training learns plain -> the writer's paragraph ("inverse paraphrase", STRAP,
Krishna et al. 2020). Only the input is made up: what the model learns to write is always
the writer's real paragraph.
"""

"""Training of the ``seq2seq-reverse`` preset (owner: seq2seq-reverse training, issue 6).

This module OWNS the numpy training of a tiny attention seq2seq on the
digit-reversal task (right alignment = anti-diagonal), with hand-written BPTT
through the attention (checked by finite differences), a seeded Adam
optimiser, and the script that reproduces ``engines/presets/seq2seq-reverse.json``
bit for bit.  The forward equations and parameter names are those of the
seq2seq engine (``engines/seq2seq.py``), so the preset runs through it.

Work in progress: being built out now.
"""

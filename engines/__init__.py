"""GateLab numeric engines: the only place where maths is computed.

Each model module (``rnn``, ``lstm``, ``gru``, ``attention`` ...) takes validated
parameters and inputs and returns a frozen, JSON-serialisable *trace*; diagrams,
scenes and the text walkthroughs only read traces.
"""

__version__ = "0.1.0"

"""Text views of traces: the tables of `gatelab compute` and the worked solutions of `gatelab explain`.

One module per model family (``table(trace)``, ``explain(trace, fmt)``); each worked solution is
written once with :class:`gatelab.walkthroughs.doc.Doc` and printed as Markdown or LaTeX.
"""

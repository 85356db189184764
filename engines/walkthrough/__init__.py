"""Text views of traces: the tables of `gatelab compute` and the worked solutions of `gatelab explain`."""

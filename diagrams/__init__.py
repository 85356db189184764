"""Graphviz diagrams drawn from engine traces (views: no maths here)."""

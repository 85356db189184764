"""Presenting a lecture: slide decks (manim-slides), the gallery of the catalogue, notebook display."""

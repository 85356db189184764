"""Manim scenes driven by engine traces (views: no maths here)."""

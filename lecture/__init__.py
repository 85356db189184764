"""Lectures: many outputs (diagrams, scenes, plots) declared in one TOML file and built together.

``load(path) -> Lecture`` reads and checks a lecture file (:mod:`gatelab.lecture.spec`);
``gatelab build FILE.toml`` renders it with workers, a cache and atomic outputs.
"""
from .spec import Job, Lecture, catalogue_lecture, load, parse

__all__ = ["Job", "Lecture", "catalogue_lecture", "load", "parse"]

"""papersift: a self-hostable research-paper discovery engine."""

from papersift.library import Library
from papersift.records import BadRecord, Hit, IngestReport, Paper

__all__ = ["BadRecord", "Hit", "IngestReport", "Library", "Paper"]
__version__ = "0.1.0"

"""Feeds: days, weeks and months of papers, trending."""

"""Placeholder: being written."""


class Library:
    pass

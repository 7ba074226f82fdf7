"""Printing a line that quotes the data (a file name, a URL, a reject reason, an answer): the
one helper the commands print such lines with, so that no value can drive the terminal or be
read as rich markup. It prints; it decides nothing."""

from __future__ import annotations

import os

import click
from rich.console import Console
from rich.markup import escape

from .wording import shown


def say(
    console: Console | None,
    template: str,
    *values: object,
    err: bool = False,
    markup: bool = True,
    **print_options: object,
) -> None:
    """Print template with its {} fields filled by values. A text or a path is data: shown (its
    control characters as \\xNN) and, where the console reads markup, escaped ("[old]" is no
    tag); a number is formatted as the field says ({:g}). With no console, click.echo prints
    the line (to stderr with err)."""

    def field(value: object) -> object:
        if not isinstance(value, str | os.PathLike):
            return value
        text = shown(os.fspath(value))
        return escape(text) if console is not None and markup else text

    line = template.format(*map(field, values))
    if console is None:
        click.echo(line, err=err)
    else:
        console.print(line, markup=markup, **print_options)  # type: ignore[arg-type]

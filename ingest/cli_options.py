"""Options shared by refscope's commands."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from . import db
from .errors import ValidationError
from .link_rules import PAGE_ID_RULE, check_ref, is_page_id, too_many_digits


def _db_file(ctx: click.Context, param: click.Parameter, value: str | None) -> Path | None:
    """An empty --db (`--db "$DB"` with DB unset) was the current folder, and DuckDB's error
    said so obscurely; a name of blanks only made a database of that name where it ran."""
    if value is None:
        return None
    if not value.strip():
        raise click.BadParameter("an empty file name: give the database file", ctx, param)
    return Path(value)


class RefArgumentCommand(click.Command):
    """A command whose REF argument may start with `-`, as a ref may: given before `--`, the
    parser reads it as options ("No such option '-l'" for `-lead`); the error says where it goes."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        given = list(args)  # the parser consumes the list it is handed
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as exc:
            for token in given:
                if token.startswith(exc.option_name) and not token.startswith("--"):
                    try:
                        check_ref(token)
                    except ValidationError:
                        break
                    raise click.UsageError(
                        f"No such option {exc.option_name!r}: {token!r} is read as options: a "
                        f"ref starting with '-' goes after '--', as in `{ctx.command_path} "
                        f"[OPTIONS] -- {token}`",
                        ctx,
                    ) from None
            raise


DB_OPTION = click.option(
    "--db",
    "db_file",
    type=click.Path(dir_okay=False),
    envvar="REFSCOPE_DB",
    default=str(db.DEFAULT_DB),
    show_default=True,
    help="DuckDB file (or set REFSCOPE_DB).",
    callback=_db_file,
)


def lake_option(help: str) -> Callable[[F], F]:
    """--lake DIR (or REFSCOPE_LAKE): the Parquet lake `ingest --lake` keeps."""
    return click.option("--lake", "lake_dir", envvar="REFSCOPE_LAKE", help=help,
                        type=click.Path(file_okay=False), callback=lake_folder)  # fmt: skip


def lake_folder(ctx: click.Context, param: click.Parameter, value: str | None) -> Path | None:
    """An empty --lake (`--lake "$LAKE"` with LAKE unset) was the current folder: the lake's
    folders and files were written, and its old partitions removed, wherever it ran. Checked for
    each --lake, written or read: DuckDB reads the lake's files by a path of its own."""
    if value is None:
        return None
    if not value.strip():
        raise click.BadParameter("an empty folder name: give the lake's folder", ctx, param)
    if "\\" in value:  # DuckDB wrote its files elsewhere (`lake\` as `lake/`) and failed
        why = "a backslash in the lake's path: DuckDB reads it as a folder separator"
        raise click.BadParameter(f"{value}: {why}; give a path without one", ctx, param)
    return Path(value)


# Where `refscope serve` appends its logs, and so what `refscope ingest` reads by default.
DEFAULT_LOG_DIR = Path("data/logs")

PageIds = TypeVar("PageIds", str, tuple[str, ...], None)
F = TypeVar("F", bound=Callable[..., Any])


def page_ids(ctx: click.Context, param: click.Parameter, value: PageIds) -> PageIds:
    """Check a page id option or argument (one or several): webhooks, and so every table, know
    a page by its numeric id; a username or a typo would match nothing, silently."""
    givens: tuple[str, ...] = (value,) if isinstance(value, str) else value or ()
    for given in givens:
        if not is_page_id(given):
            fault = too_many_digits(given)
            shown = f"{given!r} ({fault})" if fault else repr(given)
            raise click.BadParameter(
                f"{shown} is not a page id: {PAGE_ID_RULE}, as in webhooks (a "
                "username is mapped to its id with `refscope pages set`)",
                ctx=ctx,
                param=param,
            )
    return value


# Instants outside these years are no timestamps to the ingest (webhook.rs_ts): a day outside
# them is refused, not turned into dates Python or DuckDB cannot hold.
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2099, 12, 31)


def check_day(day: dt.date, option: str) -> dt.date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise click.BadParameter(f"{day} is outside {FIRST_DAY} – {LAST_DAY}, the days refscope "
                                 "reads", param_hint=option)  # fmt: skip
    return day


class NumberRange(click.FloatRange):
    """A FloatRange that refuses nan: click's range check let it through (each comparison with
    nan is false), and nan went on as a number (`--interval nan` ended in a traceback). A word
    is "not a valid number", not click's "not a valid float range": one number is asked for."""

    name = "number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if math.isnan(number):
            self.fail(f"{value!r} is not a number", param, ctx)
        return number


def given_options(*names: str) -> list[str]:
    """Which of the current command's options named (by parameter name) were given, not left
    at their defaults: each as its first flag (`--out`), in the command's order."""
    ctx = click.get_current_context()
    default = click.core.ParameterSource.DEFAULT
    return [
        p.opts[0]
        for p in ctx.command.params
        if p.name in names and ctx.get_parameter_source(p.name) is not default
    ]


def named_options(given: list[str]) -> str:
    """given_options' flags as the subject of a sentence: `--out is`, `--fg, --logo are`."""
    return f"{', '.join(given)} {'is' if len(given) == 1 else 'are'}"


class AnyCase(click.Choice):
    """A choice given in any case (`h` is `H`), named in its help and its refusal as written:
    click's own names them lower-cased (`'l', 'm', 'q', 'h'` for L, M, Q and H)."""

    def __init__(self, choices: list[str]) -> None:
        super().__init__(choices, case_sensitive=False)

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str:
        return "[{}]".format("|".join(map(str, self.choices)))

    def get_invalid_choice_message(self, value: Any, ctx: click.Context | None) -> str:
        return f"{value!r} is not one of {', '.join(map(repr, self.choices))}."


class IntegerRange(click.IntRange):
    """An IntRange whose refusal of a word says "'abc' is not a valid integer", not click's
    "not a valid integer range", as if a range such as 1-30 were asked for."""

    name = "integer"

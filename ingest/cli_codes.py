"""The QR options of `refscope links` (create, import, qr) and the writing of code files."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import click

from . import links as links_mod
from . import preflight, qr
from .cli_options import AnyCase, IntegerRange

QR_OPTIONS = [
    # Out of range, a usage error (exit 2) naming the option, as a word is refused.
    click.option("--box-size", default=10, show_default=True, type=IntegerRange(*qr.BOX_SIZES),
                 help="Pixels per QR module, {} to {}.".format(*qr.BOX_SIZES)),
    click.option("--border", default=4, show_default=True, type=IntegerRange(*qr.BORDERS),
                 help="Quiet zone in modules, {} to {}.".format(*qr.BORDERS)),
    # In any case, as --channel: h is H, named L, M, Q, H in its help and its refusal.
    click.option("--error-correction", type=AnyCase(list(qr.ERROR_LEVELS)), default="M",
                 show_default=True, help="QR error-correction level (a logo forces H)."),
    click.option("--fg", default="#000000", show_default=True, help="Foreground colour."),
    click.option("--bg", default="#ffffff", show_default=True, help="Background colour."),
    click.option("--logo", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                 help="Image placed in the centre of the code."),
]  # fmt: skip


def qr_options(fn: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(QR_OPTIONS):
        fn = option(fn)
    return fn


def qr_style(box_size: int, border: int, error_correction: str, fg: str, bg: str,
               logo: Path | None) -> qr.QrStyle:  # fmt: skip
    return qr.QrStyle(box_size, border, error_correction, fg, bg,
                      logo.read_bytes() if logo else None).checked()  # fmt: skip


OUT_RULE = "--out must be a directory refscope can create and write to"
# What `links create` and `links import` stopped (Ctrl-C, SIGTERM) before their commit say.
NOTHING_REGISTERED = "stopped before registering anything: no link was registered, no code written"
CODE_OPTIONS = ("box_size", "border", "error_correction", "fg", "bg", "logo")  # QR_OPTIONS' names


def prepare_out(out: Path) -> Path:
    """Create the codes' directory and prove it writable, before anything is registered: a
    link registered whose code cannot be written would be a half-done command."""
    preflight.check_writable_dir(out, "codes", OUT_RULE)
    return out


@contextlib.contextmanager
def no_folder_left(out: Path | None, stop: threading.Event | None = None) -> Iterator[None]:
    """Around a command's checks and registering: when it is refused (a ref that means
    something else for its page, a code that would not scan, a --db it cannot use), the
    folders of out that prepare_out made are removed, so a refused command leaves no trace.
    Only folders missing when it began, and only empty ones: a folder found stays. Given stop
    (`report`'s), only when it is set: a stop (Ctrl-C, SIGTERM) leaves no folder."""
    missing = []  # out and its missing parents, deepest first
    for path in [out, *out.parents] if out else []:
        if os.path.lexists(path):
            break
        missing.append(path)
    try:
        yield
    except BaseException:
        for path in missing if stop is None or stop.is_set() else []:
            with contextlib.suppress(OSError):  # not made, or something is in it now
                path.rmdir()
        raise


def write_codes(out: Path, codes: Sequence[links_mod.Link], style: qr.QrStyle,
                names: Sequence[str] | None = None) -> list[str]:  # fmt: skip
    """Write each link's PNG and SVG, named by `links.code_names` unless names are given; one
    line per file saying whether it was written or replaced an older file (never silently)."""
    done: list[str] = []
    for link, name in zip(codes, names or links_mod.code_names(codes), strict=True):
        done.append(write_file(out / f"{name}.png", qr.png_bytes(link.url, style)))
        done.append(write_file(out / f"{name}.svg", qr.svg_bytes(link.url, style)))
    return done


def write_code(out: Path, registry: links_mod.Registry, link: links_mod.Link,
               style: qr.QrStyle) -> list[str]:  # fmt: skip
    """Write one registered code (links qr, links create), named by `links.code_name`: a ref
    registered as a QR code for another page too, or equal but for case to another registered
    QR code's, gets a name of its own, and says so."""
    name = links_mod.code_name(registry, link)
    lines = write_codes(out, [link], style, [name])
    if links_mod.other_pages(registry, link):
        lines.append(
            f"named <ref>.<page>.png/.svg, as {link.ref} is a QR code of several pages (one "
            "file each)"
        )
    if links_mod.case_twin(registry, link):
        lines.append(
            f"named <ref>~<hash>.png/.svg, as another QR code's ref differs from {link.ref} "
            "only in case (one file to a file system that ignores case)"
        )
    return lines


def _no_link(path: str, flags: int) -> int:
    """Open path for writing, refusing a symbolic link (ELOOP) rather than following it."""
    return os.open(path, flags | os.O_NOFOLLOW, 0o666)


def write_file(path: Path, data: bytes) -> str:
    """Write one file; 'wrote PATH', or 'replaced PATH' when a file was there. A symbolic link
    in its place (one planted in a shared output folder) is refused, never written through: the
    file it points to, or would make, may be anyone's."""
    if path.is_symlink():
        raise click.ClickException(
            f"cannot write {path}: {path} is a symbolic link, and no code is written through "
            "one (it would overwrite or make the file it points to); remove it or choose "
            "another --out"
        )
    verb = "replaced" if path.exists() else "wrote"
    opened = False
    try:
        with open(path, "wb", opener=_no_link) as fh:
            opened = True
            fh.write(data)
    except BaseException as exc:
        if opened:  # a full disk, a stop (Ctrl-C, SIGTERM): a code cut short would not scan
            path.unlink(missing_ok=True)
        if not isinstance(exc, OSError):
            raise  # a stop: the command says what it leaves
        raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from exc
    return f"{verb} {path}"

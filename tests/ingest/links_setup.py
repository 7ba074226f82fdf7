"""The tracked-link tests' helpers: a code read back to its text, an SVG code rendered to pixels,
a logo, the log of a contact who came through a QR ref, a `links import` CSV and run, and the
links a `links list` screen shows."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import cairosvg
import cv2
import numpy as np
from click.testing import CliRunner, Result
from PIL import Image

from ingest.cli import cli
from tests.factories import batch, entry, message, postback, referral_obj


def decode(png: bytes) -> str:
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    text, _points, _ = cv2.QRCodeDetector().detectAndDecode(img)
    return str(text)


def svg_to_png(svg: bytes, width: int = 600) -> bytes:
    return bytes(cairosvg.svg2png(bytestring=svg, output_width=width, background_color="white"))


def logo_png(side: int = 120) -> bytes:
    img = Image.new("RGB", (side, side), (200, 30, 30))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


URL = "https://m.me/acmebakery?ref=qr_store12_window"


def qr_contact_lines(ref: str = "qr_flyer") -> list[Any]:
    ref_obj = referral_obj(ref, "SHORTLINK")
    return [
        batch(entry(postback(referral=ref_obj, ts=1_700_000_000_000))),
        batch(entry(message("hi", ts=1_700_000_001_000))),
    ]


HEADER = "page,ref,channel,campaign,placement,notes"


def write_csv(path: Path, rows: list[str]) -> Path:
    """A `links import` CSV of the rows under its header."""
    path.write_text(f"{HEADER}\n" + "\n".join(rows) + "\n")
    return path


def write(path: Path, text: str) -> Path:
    """A file of this text in UTF-8, its line ends as given."""
    path.write_bytes(text.encode())
    return path


def import_csv(runner: CliRunner, db_path: Path, csv_file: Path, *args: str) -> Any:
    return runner.invoke(cli, ["links", "import", str(csv_file), *args, "--db", str(db_path)])


def create_or_import_window(runner: CliRunner, command: str, tmp_path: Path,
                            args: list[str]) -> Result:  # fmt: skip
    """`links create` of acmebakery's QR code `window` (command "create"), or `links import` of
    a file of that one row, with args."""
    if command == "import":
        csv_file = write_csv(tmp_path / "flyers.csv", ["acmebakery,window,qr,,,"])
        return runner.invoke(cli, ["links", "import", str(csv_file), *args])
    return runner.invoke(cli, ["links", "create", "--page", "acmebakery", "--ref", "window",
                               "--channel", "qr", *args])  # fmt: skip


def on_screen(screen: str) -> list[dict[str, str]]:
    """The links a screen lists, each value's lines joined with a space (a folded value's pieces,
    or a date and time wrapped apart), as a table (columns between "│", each URL on its own line
    under its row) or as blocks (`name  value` lines, a value's next lines indented, `url  URL`
    last)."""
    lines = [line.rstrip() for line in screen.splitlines() if line.strip()]
    links: list[dict[str, str]] = []
    current: dict[str, str] = {}

    def add(name: str, piece: str) -> None:
        if piece:
            current[name] = f"{current[name]} {piece}" if current.get(name) else piece

    if "│" in lines[0]:  # a table: its header, a rule, then each row's lines and its URL
        names = [cell.strip() for cell in lines[0].split("│")]
        for line in lines[2:]:
            if "│" in line:
                for name, cell in zip(names, line.split("│"), strict=True):
                    add(name, cell.strip())
            else:
                links.append({**current, "url": line.strip()})
                current = {}
        return links
    name = ""
    for line in lines:
        if not line.startswith(" "):
            name, _, line = line.partition(" ")
        add(name, line.strip())
        if name == "url":
            links.append(current)
            current = {}
    return links


def whole(value: str) -> str:
    """A value as on_screen may join it: its pieces may be apart where it wrapped, or not."""
    return value.replace(" ", "")

"""Text in generated PDFs (print sheets, reports): a TrueType font when the system has one, and
every character shown, as itself or as a visible replacement mark.

fpdf2's core fonts print Latin-1 only: a campaign named "Łódź" would come out as "?ód?".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from fpdf.bidi import BidiParagraph, auto_detect_base_direction
from fpdf.enums import TextDirection

# (regular, bold) TrueType fonts, Debian's fonts-dejavu-core then fonts-liberation; without
# one the PDF falls back to its core fonts, which print Latin-1 only.
FONTS = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
     "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
     "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
)  # fmt: skip
CORE_FONT = "Helvetica"
MISSING_GLYPH = "\ufffd"  # drawn for a character the font lacks (an emoji, CJK with DejaVu)
# Control characters but the line break, which fpdf2 draws as one: it leaves out a carriage
# return, and a tab the TrueType font has no glyph for ("tab\there" printed as "tabhere", with a
# warning on stderr); a ref may hold either (README).
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def font_files() -> tuple[str, str] | None:
    """The (regular, bold) TrueType files the PDFs use, if the system has a pair."""
    return next(((r, b) for r, b in FONTS if Path(r).is_file() and Path(b).is_file()), None)


def body_font(pdf: Any, *, bold: bool = True) -> str:
    """Add the first TrueType font found to pdf (an fpdf2 FPDF) and return its family name;
    the core font when there is none. Leave out bold when the PDF has no bold text: fpdf2
    closes a font's file only once it wrote text in it."""
    files = font_files()
    if files is None:
        return CORE_FONT
    pdf.add_font("Body", "", files[0])
    if bold:
        pdf.add_font("Body", "B", files[1])
    return "Body"


def printable(pdf: Any, face: str, text: str) -> str:
    """text as the font can print it: a character it lacks, or a control character but a line
    break, shows as a replacement mark, where fpdf2 would leave it out (an ad title's emoji, a
    ref's tab would vanish without a trace)."""
    if face == CORE_FONT:
        text = text.replace("–", "-").replace("—", "-").replace("·", "-").replace("…", "...")
        return CONTROL.sub("?", text.encode("latin-1", "replace").decode("latin-1"))
    cmap = pdf.fonts[face.lower()].cmap
    if all(c == "\n" or (ord(c) in cmap and not CONTROL.match(c)) for c in text):
        return text
    return "".join(c if c == "\n" or (ord(c) in cmap and not CONTROL.match(c)) else MISSING_GLYPH
                   for c in text)  # fmt: skip


def mark(face: str) -> str:
    """The mark printable draws for a character face lacks."""
    return "?" if face == CORE_FONT else MISSING_GLYPH


def lacks(pdf: Any, face: str, text: str) -> bool:
    """Whether printable shows a character of text as the mark (a Chinese name in DejaVu Sans,
    a Hebrew one in the core fonts)."""
    return lacked(face, text, printable(pdf, face, text))


def lacked(face: str, text: str, shown: str) -> bool:
    """lacks, of a text printable already made shown (no second pass over it)."""
    return shown.count(mark(face)) > text.count(mark(face))


# A bracket drawn in a right-to-left run faces the other way ("(ראשי)" reads as in Hebrew).
_MIRRORED = str.maketrans("()[]{}<>«»‹›", ")(][}{><»«›‹")


# Unicode's first-strong isolate and its end: the text between takes the direction of its
# first letter, as an HTML element with dir="auto" does (no glyph in the fonts: never drawn).
FSI, PDI = "\u2068", "\u2069"
_ISOLATES = str.maketrans("", "", FSI + PDI)


class ApartNames:
    """The right-to-left texts among names (pages' names) as one regular expression, built once
    per report: in a sentence each is set apart from the words around it (the "(1122…)" after a
    Hebrew name joined its run and showed before it), by FSI and PDI in a PDF, <bdi> in HTML."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        rtl = sorted({n for n in names if right_to_left(n)}, key=len, reverse=True)
        self.found = re.compile("|".join(map(re.escape, rtl))) if rtl else None

    def apart(self, text: str, start: str = FSI, end: str = PDI) -> str:
        """text with start before and end after each name in it."""
        if self.found is None:
            return text
        return self.found.sub(lambda m: f"{start}{m[0]}{end}", text)

    def apart_lines(self, paragraph: str, lines: list[str]) -> list[str]:
        """The lines paragraph was wrapped into (in order, each a piece of it), each name's
        part on a line set apart by FSI and PDI: a name wrapped across two lines is whole on
        neither, and its part joined the "(1122…)" after it. A line that is no piece of the
        paragraph has the names whole on it set apart."""
        if self.found is None:
            return lines
        spans = [m.span() for m in self.found.finditer(paragraph)]
        out: list[str] = []
        at = 0
        for line in lines:
            start = paragraph.find(line, at)
            if start < 0:
                out.append(self.apart(line))
                continue
            at = end = start + len(line)
            parts: list[str] = []
            last = start
            for a, b in ((max(a, start), min(b, end)) for a, b in spans):
                if a < b:
                    parts += [paragraph[last:a], FSI, paragraph[a:b], PDI]
                    last = b
            out.append("".join([*parts, paragraph[last:end]]))
        return out


NO_NAMES = ApartNames()


def visual(line: str, base: TextDirection | None = None) -> str:
    """One line in the order its characters are drawn, left to right: each right-to-left run
    (Hebrew, Arabic) reversed as the Unicode bidi algorithm orders it, its brackets mirrored.
    fpdf2 draws text in the order typed without its shaping engine (uharfbuzz, which refscope
    does not install), so "שלום" printed backwards. Arabic letters keep their isolated forms.
    base: the direction of the paragraph the line was wrapped from (else the line's own). Text
    between FSI and PDI (ApartNames) is ordered apart from the words around it."""
    if not right_to_left(line):
        return line
    return "".join(
        c.character.translate(_MIRRORED) if c.embedding_level % 2 else c.character
        for c in BidiParagraph(line, base_direction=base).get_reordered_characters()
    ).translate(_ISOLATES)


def wrapped_visual(
    text: str, lines: Callable[[str], list[str]], names: ApartNames = NO_NAMES
) -> str:
    """text as fpdf2 should draw it: each paragraph holding right-to-left letters cut into the
    lines `lines` wraps it to, each line in visual order (the paragraph's direction is that of
    its first letter, as the bidi algorithm has it), one line break between them. Wrapping
    visual text would put a paragraph's first words on its last line. names: set apart on each
    line (ApartNames.apart_lines)."""
    if not right_to_left(text):
        return text
    out: list[str] = []
    for paragraph in text.split("\n"):
        if not right_to_left(paragraph):
            out.append(paragraph)
            continue
        base = auto_detect_base_direction(paragraph)
        out += [visual(line, base) for line in names.apart_lines(paragraph, lines(paragraph))]
    return "\n".join(out)


def reads_right_to_left(text: str) -> bool:
    """Whether text's first letter is Hebrew or Arabic: its paragraph runs right to left."""
    return auto_detect_base_direction(text) == TextDirection.RTL


def right_to_left(text: str) -> bool:
    """Whether text holds a right-to-left letter (Hebrew, Arabic)."""
    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in text)

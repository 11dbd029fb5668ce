"""PDFs typeset by Typst (docs/letters.md): its compiler, the fonts it may use, and nothing
else. Typst shapes text with rustybuzz, HarfBuzz's shaping ported line by line (Arabic joined
and set right to left, Chinese, Cyrillic, Latin with every diacritic), lays out paragraphs in
their direction, and typesets a page in milliseconds, so a sheet is made when it is asked
for. Its fonts come with the product's own install, as pip packages (Noto Sans, Noto Sans
Arabic, Noto Sans CJK): never from the host, so every machine prints the same glyphs.

One compiler per template and process, made on first use (it reads the fonts once) and used
by one thread at a time: compiling runs off the event loop, in a thread, under a lock.
"""

from __future__ import annotations

import asyncio
import json
import threading
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import typst
from babel import Locale

# The folders of the font files the packages ship (pyproject.toml pins them; they hold only
# fonts, under the SIL Open Font License, with no code to import).
FONT_FOLDERS = (
    Path(str(files("fontpkg_noto_sans"))) / "files",
    Path(str(files("fontpkg_noto_sans_arabic"))) / "files",
    Path(str(files("noto_cjk_sans_otc"))),
)
# Every sheet of one content is the same file, byte for byte (no time of making inside).
FIXED_TIMESTAMP = datetime(2000, 1, 1, tzinfo=UTC)


class Typesetter:
    """One Typst template, compiled with data (as JSON, never pasted into its markup)."""

    def __init__(self, template: Path) -> None:
        self._template = template
        self._lock = threading.Lock()
        self._compiler: typst.Compiler | None = None

    def _compiled(self, data: dict[str, Any]) -> bytes:
        with self._lock:
            if self._compiler is None:
                self._compiler = typst.Compiler(
                    str(self._template),
                    root=str(self._template.parent),
                    font_paths=_fonts(),
                    ignore_system_fonts=True,
                )
            made = self._compiler.compile(
                format="pdf",
                sys_inputs={"data": json.dumps(data, ensure_ascii=False)},
                timestamp=FIXED_TIMESTAMP,
            )
        assert isinstance(made, bytes)  # no output path given: the PDF comes back
        return made

    async def pdf(self, data: dict[str, Any]) -> bytes:
        return await asyncio.to_thread(self._compiled, data)


def _fonts() -> typst.Fonts:
    return typst.Fonts(
        include_system_fonts=False,
        include_embedded_fonts=False,
        font_paths=[str(folder) for folder in FONT_FOLDERS],
    )


def directed(lines: Iterable[str]) -> list[dict[str, str]]:
    """Lines to set each in its own direction (`rtl` or `ltr`, by its first letter that has
    one), with their text. Typst takes a paragraph's direction from its language, and does not
    isolate a run of another direction inside it: a Latin address line in an Arabic letter
    would come out with its number moved to the other end ("rue des Baobabs 12"), an Arabic
    page's Russian salutation with its "!" before it. Each such line is set apart instead."""
    return [{"text": line, "dir": _direction(line)} for line in lines if line]


def _direction(text: str) -> str:
    for character in text:
        kind = unicodedata.bidirectional(character)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return "ltr"


def region_of(locale: Locale) -> str | None:
    """The region Typst picks Chinese glyph forms by: Simplified is the mainland's."""
    return "CN" if locale.script == "Hans" else None


@cache
def typesetter(template: Path) -> Typesetter:
    return Typesetter(template)

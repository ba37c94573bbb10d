"""Chinese text on ESC/POS printers: column widths, wrapping, `FS &` runs and a raster fallback.

Modes (the printer setting `cjk`): "gbk", "gb18030", "big5" send text; each run of East Asian
characters is wrapped in `FS &` ... `FS .` and ASCII stays single-byte outside. "image" draws any
line holding non-ASCII text with Pillow and sends it as a `GS v 0` raster, for printers without a
Chinese font. A line the encoding cannot hold falls back to an image, or to '?' when no font is
installed; nothing here raises on odd input.
"""

from __future__ import annotations

import functools
import logging
import os
import unicodedata

from drivers.commands import CJK_OFF, CJK_ON, image_to_raster

log = logging.getLogger(__name__)

CJK_MODES = ("gbk", "gb18030", "big5", "image")
DOTS_PER_COLUMN = 12  # Font A is 12x24 dots: 32 columns on 384 dots (58 mm), 48 on 576 (80 mm)
LINE_DOTS = 24

# Checked in order; the first that exists is used. Debian/Ubuntu (fonts-wqy-microhei,
# fonts-wqy-zenhei, fonts-noto-cjk), Fedora/Arch Noto, Android's fallback, macOS, Windows.
CJK_FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "C:\\Windows\\Fonts\\msyh.ttc",
)

# Tried in order for a character; the half-width yen has no GBK code and a 4-byte GB18030 one
# that many printers lack, so the full-width form comes first.
_ALTERNATIVES = {"￥": ("￥", "¥"), "¥": ("￥", "¥")}


def sanitize(text: str) -> str:
    """Make a string safe to print: whitespace controls become spaces, other controls and lone
    surrogates become '?', format characters (zero-width joiners...) are dropped.

    Stops a clerk or customer name from smuggling ESC/POS commands onto the printer. The
    half-width yen becomes the full-width one so it is always printed (and measured) two wide.
    """
    out = []
    for ch in str(text):
        if ch in "\t\r\n\v\f":
            out.append(" ")
            continue
        category = unicodedata.category(ch)
        if category == "Cf":
            continue
        if category[0] == "C":
            out.append("?")
        elif ch == "¥":
            out.append("￥")
        else:
            out.append(ch)
    return "".join(out)


def char_columns(ch: str) -> int:
    """Printed width in columns: 2 for wide, full-width and ambiguous East Asian characters.

    Ambiguous ones ('·', '…', 'é') count 2 because a printer in Chinese mode prints them from
    its double-byte font, full width.
    """
    if ch < "\x80":
        return 1
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F", "A") else 1


def text_columns(text: str) -> int:
    """Printed width of a string in columns."""
    return sum(char_columns(ch) for ch in text)


def _tokens(text: str) -> list[str]:
    # Words and single spaces. A Chinese phrase is one word too, so "确认" never splits from
    # its English twin's line end; only a word wider than a whole line is cut.
    tokens: list[str] = []
    for ch in text:
        if ch == " " or not tokens or tokens[-1] == " ":
            tokens.append(ch)
        else:
            tokens[-1] += ch
    return tokens


def wrap(text: str, columns: int) -> list[str]:
    """Greedy word wrap to `columns`, breaking words longer than a line; never returns []."""
    columns = max(columns, 2)
    lines: list[str] = []
    current = ""
    for word in _tokens(sanitize(text)):
        if text_columns(current) + text_columns(word) <= columns:
            current += word
            continue
        if current.strip():
            lines.append(current.rstrip())
        current = ""
        if word == " ":
            continue
        for ch in word:  # a word wider than a line is cut wherever it reaches the edge
            if text_columns(current) + char_columns(ch) > columns:
                lines.append(current)
                current = ""
            current += ch
    if current.strip() or not lines:
        lines.append(current.rstrip())
    return lines


def align(text: str, columns: int, how: str = "left") -> str:
    """Pad `text` with spaces to sit left, center or right in `columns` (no trailing spaces)."""
    gap = max(columns - text_columns(text), 0)
    if how == "right":
        return " " * gap + text
    if how == "center":
        return " " * (gap // 2) + text
    return text


def _encode_wide(ch: str, encoding: str) -> bytes | None:
    for candidate in _ALTERNATIVES.get(ch, (ch,)):
        try:
            code = candidate.encode(encoding)
        except UnicodeError:
            continue
        # Only true double-byte (or GB18030 four-byte) codes are safe inside FS &; a single byte
        # would desynchronise the printer's lead/trail byte pairing.
        if len(code) in (2, 4) and code[0] >= 0x81 and (len(code) == 2 or encoding == "gb18030"):
            return code
    return None


def encode_text(text: str, encoding: str) -> bytes | None:
    """ESC/POS bytes for one line in a text mode, or None if the encoding cannot print it.

    Runs of non-ASCII characters go between `FS &` and `FS .`: '中文' in gbk is
    1C 26 D6 D0 CE C4 1C 2E.
    """
    out = bytearray()
    run = bytearray()
    for ch in sanitize(text):
        if " " <= ch <= "~":
            if run:
                out += CJK_ON + run + CJK_OFF
                run.clear()
            out += ch.encode("ascii")
            continue
        code = _encode_wide(ch, encoding) if char_columns(ch) == 2 else None
        if code is None:
            return None
        run += code
    if run:
        out += CJK_ON + run + CJK_OFF
    return bytes(out)


def question_marks(text: str) -> str:
    """Replace every non-ASCII character by '?' (plus a space for wide ones, to keep widths)."""
    return "".join(ch if ch < "\x80" else "?" + " " * (char_columns(ch) - 1) for ch in sanitize(text))


@functools.lru_cache(maxsize=1)
def find_cjk_font(candidates: tuple[str, ...] = CJK_FONT_PATHS) -> str | None:
    """Path of the first installed CJK font from `candidates`, or None."""
    for path in candidates:
        if os.path.isfile(path):
            return path
    log.warning("no CJK font found in %s; Chinese text will print as '?'", ", ".join(candidates))
    return None


@functools.lru_cache(maxsize=4)
def _load_font(path: str):
    from PIL import ImageFont

    return ImageFont.truetype(path, LINE_DOTS - 2)


def render_line_image(
    text: str,
    columns: int,
    font_path: str,
    *,
    how: str = "left",
    bold: bool = False,
    tall: bool = False,
    wide: bool = False,
) -> bytes | None:
    """A line drawn with a CJK font as `GS v 0` raster bytes, full paper width; None if it fails.

    Each character is drawn centred in its own 12-dot cells, so image lines line up with the
    printer's own text columns whatever the font's metrics.
    """
    from PIL import Image, ImageDraw, ImageOps

    try:
        font = _load_font(font_path)
        text = sanitize(text)
        sx, sy = (2 if wide else 1), (2 if tall else 1)
        used = max(text_columns(text), 1)
        img = Image.new("L", (used * DOTS_PER_COLUMN, LINE_DOTS), 255)
        draw = ImageDraw.Draw(img)
        col = 0
        for ch in text:
            cells = char_columns(ch)
            if ch != " ":
                centre = ((col + cells / 2) * DOTS_PER_COLUMN, LINE_DOTS / 2)
                draw.text(centre, ch, font=font, fill=0, anchor="mm", stroke_width=1 if bold else 0)
            col += cells
        if sx > 1 or sy > 1:
            img = img.resize((img.width * sx, img.height * sy), Image.Resampling.NEAREST)
        page_width = columns * DOTS_PER_COLUMN
        line = Image.new("L", (max(page_width, img.width), img.height), 255)
        gap = max(line.width - img.width, 0)
        line.paste(img, ({"center": gap // 2, "right": gap}.get(how, 0), 0))
        ink = ImageOps.invert(line).getbbox()
        if ink:  # blank paper to the right of the last dot is bytes for nothing at 960 bytes/s
            line = line.crop((0, 0, min(line.width, (ink[2] + 7) // 8 * 8), line.height))
        return image_to_raster(line)
    except (OSError, ValueError, UnicodeError) as exc:  # a broken font file must not stop a receipt
        log.warning("could not draw %r with %s: %s", text, font_path, exc)
        return None

"""Document layout shared by the ESC/POS bytes and the on-screen text preview.

A document is a tuple of small blocks (text, key/value row, rule, QR, cut). `physical_lines`
wraps and pads them to the paper's columns; `to_escpos` and `to_text` print the same lines, so
the preview in the browser is the receipt the customer gets.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers import cjk as cjk_text
from drivers import commands


@dataclass(frozen=True)
class Text:
    """A paragraph, wrapped to the paper width."""

    text: str
    how: str = "left"
    bold: bool = False
    tall: bool = False
    wide: bool = False


@dataclass(frozen=True)
class Row:
    """A label on the left and its value right-aligned (amounts, receipt number...)."""

    label: str
    value: str
    bold: bool = False
    tall: bool = False


@dataclass(frozen=True)
class Rule:
    """A full-width separator line."""

    char: str = "-"


@dataclass(frozen=True)
class Qr:
    """A QR code, centred."""

    data: str


@dataclass(frozen=True)
class Cut:
    """Feed to the cutter and cut."""


@dataclass(frozen=True)
class Line:
    """One printed line, already wrapped and padded (center/right text is aligned by the printer)."""

    text: str
    how: str = "left"
    bold: bool = False
    tall: bool = False
    wide: bool = False


def _row_lines(row: Row, columns: int) -> list[Line]:
    label, value = cjk_text.sanitize(row.label).strip(), cjk_text.sanitize(row.value).strip()
    gap = columns - cjk_text.text_columns(label) - cjk_text.text_columns(value)
    if gap >= 1:
        return [Line(label + " " * gap + value, bold=row.bold, tall=row.tall)]
    # Too long for one line: the label wraps, the value goes right-aligned underneath.
    lines = [Line(part, bold=row.bold, tall=row.tall) for part in cjk_text.wrap(label, columns) if part]
    for part in cjk_text.wrap(value, columns):
        lines.append(Line(cjk_text.align(part, columns, "right"), bold=row.bold, tall=row.tall))
    return lines


def physical_lines(block, columns: int) -> list[Line]:
    """The printed lines of one text block, row or rule (QR and cut have none)."""
    if isinstance(block, Text):
        width = columns // 2 if block.wide else columns
        parts = cjk_text.wrap(block.text, width)
        return [Line(part, block.how, block.bold, block.tall, block.wide) for part in parts]
    if isinstance(block, Row):
        return _row_lines(block, columns)
    if isinstance(block, Rule):
        return [Line(block.char * columns)]
    return []


class _EscposWriter:
    """Turns lines into bytes, sending a mode command only when the mode changes."""

    def __init__(self, columns: int, cjk: str, font_path):
        self.columns, self.cjk, self._font_path = columns, cjk, font_path
        self.out = bytearray(commands.INIT + commands.CJK_OFF)  # some printers boot in Chinese mode
        self.how, self.bold, self.size = "left", False, (False, False)

    def _set(self, how: str, bold: bool, tall: bool, wide: bool) -> None:
        if how != self.how:
            self.out += commands.ALIGNMENTS[how]
            self.how = how
        if bold != self.bold:
            self.out += commands.BOLD_ON if bold else commands.BOLD_OFF
            self.bold = bold
        if (tall, wide) != self.size:
            self.out += commands.print_mode(tall=tall, wide=wide)
            self.size = (tall, wide)

    @property
    def font_path(self) -> str | None:
        """The CJK font, searched for on first use."""
        if self._font_path is _FIND_FONT:  # looked up only when a line really needs drawing
            self._font_path = cjk_text.find_cjk_font()
        return self._font_path

    def line(self, line: Line) -> None:
        """One line as text, or as a raster when the text mode cannot print it."""
        encoded = None
        if self.cjk != "image":
            encoded = cjk_text.encode_text(line.text, self.cjk)
        elif line.text.isascii():
            encoded = line.text.encode("ascii")
        if encoded is None and self.font_path:
            image = cjk_text.render_line_image(
                line.text,
                self.columns,
                self.font_path,
                how=line.how,
                bold=line.bold,
                tall=line.tall,
                wide=line.wide,
            )
            if image is not None:
                self._set("left", False, False, False)  # the image carries its own alignment and size
                self.out += image
                return
        if encoded is None:
            encoded = cjk_text.question_marks(line.text).encode("ascii")
        self._set(line.how, line.bold, line.tall, line.wide)
        self.out += encoded + b"\n"

    def qr(self, data: str, native: bool) -> None:
        """A centred QR code, native or raster."""
        self._set("center", False, False, False)
        if native:
            self.out += commands.native_qr(data)
        else:
            self.out += _raster_qr(data)
        self.out += b"\n"

    def cut(self) -> None:
        """Feed to the cutter and cut."""
        self._set("left", False, False, False)
        self.out += commands.PARTIAL_CUT


def _raster_qr(data: str) -> bytes:
    import qrcode

    code = qrcode.QRCode(box_size=4, border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data)
    code.make(fit=True)
    return commands.image_to_raster(code.make_image().get_image())


_FIND_FONT = object()


def to_escpos(blocks, *, columns: int, cjk: str, native_qr: bool = True, font_path=_FIND_FONT) -> bytes:
    """ESC/POS bytes for a document; `font_path` overrides the CJK font search (None: no font)."""
    if cjk not in cjk_text.CJK_MODES:
        raise ValueError(f"cjk must be one of {', '.join(cjk_text.CJK_MODES)}, not {cjk!r}")
    writer = _EscposWriter(columns, cjk, font_path)
    for block in blocks:
        if isinstance(block, Qr):
            if block.data:
                writer.qr(block.data, native_qr)
        elif isinstance(block, Cut):
            writer.cut()
        else:
            for line in physical_lines(block, columns):
                writer.line(line)
    return bytes(writer.out)


def to_text(blocks, columns: int) -> str:
    """The same document as plain text lines, for a preview on screen."""
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Qr):
            if block.data:
                out.append(cjk_text.align(f"[QR {block.data}]", columns, "center"))
            continue
        for line in physical_lines(block, columns):
            text = " ".join(line.text) if line.wide else line.text  # show double width as spaced letters
            out.append(cjk_text.align(text, columns, line.how).rstrip())
    return "\n".join(out) + "\n"

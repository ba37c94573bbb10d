"""Receipt bytes and previews: Chinese runs, native QR, cut, COPY, paper widths, fallbacks."""

from __future__ import annotations

import logging

import pytest

from drivers import cjk, layout
from drivers.receipt import (
    Receipt,
    ReceiptAmount,
    receipt_blocks,
    render_lines,
    render_lines_preview,
    render_receipt,
    render_test_page,
    render_text_preview,
)
from drivers.samples import reference_receipt

FS_ON, FS_OFF = b"\x1c&", b"\x1c."
RASTER = b"\x1dv0"


def test_chinese_run_is_wrapped_in_fs_and_and_fs_dot():
    """'中文' in gbk is 1C 26 D6 D0 CE C4 1C 2E, the example from the spec."""
    assert cjk.encode_text("中文", "gbk") == bytes.fromhex("1C26D6D0CEC41C2E")
    assert cjk.encode_text("Plan 中文 x", "gbk") == b"Plan " + bytes.fromhex("1C26D6D0CEC41C2E") + b" x"


def test_reference_receipt_in_gbk_has_the_expected_sequences():
    """The bilingual receipt: init, Chinese plan name in FS & runs, native QR with the number, cut."""
    data = render_receipt(reference_receipt(), columns=48, cjk="gbk")
    assert data.startswith(b"\x1b@\x1c.")  # init, and leave Chinese mode some printers boot in
    plan_zh = FS_ON + "美国旅行套餐".encode("gbk") + FS_OFF + b" 30" + FS_ON + "天".encode("gbk") + FS_OFF
    assert plan_zh + b" 20GB\n" in data
    number = b"R-T01-000123"
    store = b"\x1d(k" + bytes([len(number) + 3, 0]) + b"1P0" + number
    assert store in data
    assert b"\x1d(k\x03\x001Q0" in data  # print the stored symbol
    assert data.endswith(b"\x1dVB\x00")
    assert b"COPY" not in data
    assert RASTER not in data


def test_reprint_says_copy_prominently():
    """A reprint prints COPY in double width and height, at the top and the bottom."""
    data = render_receipt(reference_receipt(is_copy=True), columns=48, cjk="gbk")
    assert data.count(b"COPY") == 2
    assert b"\x1b!\x30\x1c!\x0cCOPY" in data
    assert "C O P Y" in render_text_preview(reference_receipt(is_copy=True), 48)


def test_text_mode_receipt_fits_the_byte_budget():
    """The reference receipt in gbk with native QR stays within 1,536 bytes (1.6 s at 9600 baud)."""
    for columns in (32, 42, 48):
        assert len(render_receipt(reference_receipt(), columns=columns, cjk="gbk")) <= 1536


@pytest.mark.parametrize("columns", [32, 42, 48])
def test_preview_lines_fit_the_paper_and_amounts_are_right_aligned(columns):
    """Every preview line fits the column count; amounts end exactly at the right edge."""
    lines = render_text_preview(reference_receipt(), columns).splitlines()
    assert all(cjk.text_columns(line) <= columns for line in lines)
    assert "-" * columns in lines
    total = next(line for line in lines if line.startswith("Total"))
    assert total.endswith("$29.33") and cjk.text_columns(total) == columns
    assert "美国旅行套餐 30天 20GB" in lines


def test_58mm_and_80mm_rules_match_their_widths():
    """Rules are 32 dashes on 58 mm paper and 48 on 80 mm."""
    narrow = render_receipt(reference_receipt(), columns=32, cjk="gbk")
    wide = render_receipt(reference_receipt(), columns=48, cjk="gbk")
    assert b"\n" + b"-" * 32 + b"\n" in narrow and b"-" * 33 not in narrow
    assert b"\n" + b"-" * 48 + b"\n" in wide


def test_chinese_counts_two_columns_when_wrapping():
    """Twenty Chinese characters wrap at 16 on 32 columns; a phrase is not split from its line."""
    assert cjk.wrap("中" * 20, 32) == ["中" * 16, "中" * 4]
    assert cjk.wrap("Pending carrier confirmation 等待运营商确认", 32) == [
        "Pending carrier confirmation",
        "等待运营商确认",
    ]
    assert cjk.text_columns("合计 $1") == 7


def test_yen_and_full_width_punctuation_are_encoded():
    """'¥' prints as the full-width yen in gbk and big5; '，' and '（' stay in the run."""
    assert cjk.encode_text("¥5", "gbk") == FS_ON + b"\xa3\xa4" + FS_OFF + b"5"
    assert cjk.encode_text("¥5", "big5") == FS_ON + b"\xa2\x44" + FS_OFF + b"5"
    assert cjk.encode_text("谢谢，（好）", "gbk") == FS_ON + "谢谢，（好）".encode("gbk") + FS_OFF
    assert cjk.encode_text("😀", "gb18030") == FS_ON + "😀".encode("gb18030") + FS_OFF


@pytest.mark.parametrize("mode", ["gbk", "gb18030", "big5", "image"])
def test_characters_no_encoding_has_never_raise(mode):
    """Emoji, lone surrogates, simplified Chinese in big5, controls: bytes come out, no exception."""
    odd = Receipt(
        store_name="Café 😀 \ud800 \U0010ffff",
        receipt_number="R-T01-000001",
        issued_at="今天",
        clerk="Ann\x1b@\x1dV\x00",
        plan_name_zh="国际漫游 ₩ ½ ǅ \u200b",
        total=ReceiptAmount("合计", "€5"),
    )
    for columns in (32, 48):
        data = render_receipt(odd, columns=columns, cjk=mode)
        assert b"Ann\x1b@" not in data  # a name cannot smuggle commands to the printer
        assert data.endswith(b"\x1dVB\x00")
        assert render_text_preview(odd, columns)


def test_unencodable_line_falls_back_to_an_image_with_a_font():
    """In big5, a line with simplified characters is drawn as a raster; the rest stays text."""
    data = layout.to_escpos((layout.Text("国"), layout.Text("中文")), columns=32, cjk="big5")
    assert RASTER in data
    assert FS_ON + "中文".encode("big5") + FS_OFF in data


def test_without_a_font_unprintable_text_becomes_question_marks(caplog):
    """No CJK font: a warning names the paths searched, and the line prints '?' instead."""
    with caplog.at_level(logging.WARNING):
        assert cjk.find_cjk_font(("/nonexistent/font.ttc",)) is None
    assert "/nonexistent/font.ttc" in caplog.text
    data = layout.to_escpos((layout.Text("合计 $5"),), columns=32, cjk="image", font_path=None)
    assert data.endswith(b"? ?  $5\n") and RASTER not in data  # wide characters keep their 2 columns


def test_image_mode_sends_chinese_lines_as_raster():
    """cjk='image' draws lines with Chinese as GS v 0 rasters and sends no FS & at all."""
    data = render_receipt(reference_receipt(), columns=32, cjk="image")
    assert RASTER in data
    assert FS_ON not in data
    assert b"R-T01-000123" in data  # ASCII lines stay text
    header = data[data.index(RASTER) : data.index(RASTER) + 8]
    assert header == RASTER + b"\x00" + bytes([32 * 12 // 8, 0, 24, 0])


def test_found_font_is_a_real_cjk_font():
    """The font search finds the installed CJK font (wqy-microhei on Debian and in CI)."""
    assert cjk.find_cjk_font() is not None


def test_raster_qr_when_native_qr_is_off():
    """native_qr=False prints the QR as an image and costs far more bytes."""
    native = render_receipt(reference_receipt(), columns=48, cjk="gbk")
    raster = render_receipt(reference_receipt(), columns=48, cjk="gbk", native_qr=False)
    assert b"\x1d(k" not in raster and RASTER in raster
    assert len(raster) > len(native) + 500


def test_receipt_accepts_lists_and_stays_hashable():
    """Lists handed over by the kiosk become tuples, so the value object is hashable."""
    receipt = Receipt(
        store_name="S",
        receipt_number="R-T01-000001",
        issued_at="now",
        total=ReceiptAmount("Total", "$1"),
        header_lines=["a", "b"],
    )
    assert receipt.header_lines == ("a", "b")
    hash(receipt)
    assert receipt_blocks(receipt) == receipt_blocks(receipt)


def test_render_is_pure():
    """The same receipt renders to the same bytes every time."""
    assert render_receipt(reference_receipt(), columns=32, cjk="gbk") == render_receipt(
        reference_receipt(), columns=32, cjk="gbk"
    )


def test_unsupported_widths_and_modes_are_refused():
    """Only 32, 42 and 48 columns and the four CJK modes are accepted."""
    with pytest.raises(ValueError):
        render_receipt(reference_receipt(), columns=40, cjk="gbk")
    with pytest.raises(ValueError):
        render_receipt(reference_receipt(), columns=32, cjk="utf8")


def test_z_report_lines_print_rows_and_headings():
    """render_lines prints a title, headings and right-aligned values, then cuts."""
    rows = [("Cash 现金", None), ("Sales", "12"), ("Takings 收入", "$340.00")]
    data = render_lines("Z report 日结", rows, columns=32, cjk="gbk")
    assert b"Sales" + b" " * 25 + b"12\n" in data
    assert data.endswith(b"\x1dVB\x00")
    preview = render_lines_preview("Z report 日结", rows, columns=32)
    assert "Takings 收入" in preview and "$340.00" in preview


def test_test_page_has_ruler_chinese_and_qr():
    """The test page carries a ruler of the column count, a Chinese sample and a native QR."""
    data = render_test_page(columns=42, cjk="gb18030")
    assert b"123456789012345678901234567890123456789012\n" in data
    assert FS_ON in data and b"\x1d(k" in data

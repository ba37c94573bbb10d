"""Every user-facing string is translated into Simplified Chinese, and the compiled catalog is current."""

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "kiosk/translations/zh_Hans/LC_MESSAGES/messages.po"
MO = PO.with_suffix(".mo")
KEYWORDS = ["-k", "_", "-k", "gettext", "-k", "ngettext:1,2", "-k", "lazy_gettext", "-k", "DomainError:2",
            "-k", "NotFound:2", "-k", "Forbidden:2", "-k", "Conflict:2"]


def test_every_string_has_a_chinese_translation(tmp_path):
    """Strings extracted from code and templates all have a non-empty zh_Hans translation."""
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", *KEYWORDS,
                    "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(pot.open("rb")) if m.id}
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    translated = {(m.id if isinstance(m.id, str) else m.id[0]) for m in catalog
                  if m.id and (m.string if isinstance(m.string, str) else m.string[0])}
    missing = sorted(extracted - translated)
    assert not missing, f"untranslated: {missing[:10]} (update {PO.relative_to(ROOT)} and compile)"


def _key(value):
    return tuple(value) if isinstance(value, list | tuple) else value


def test_compiled_catalog_matches_po():
    """messages.mo is compiled from the current messages.po (pybabel compile -d kiosk/translations)."""
    def entries(catalog):
        return {_key(m.id): _key(m.string) for m in catalog if m.id}

    with PO.open("rb") as fh:
        po = entries(read_po(fh))
    with MO.open("rb") as fh:
        mo = entries(read_mo(fh))
    assert po == mo

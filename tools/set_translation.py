"""Set translations in a .po file from the command line: set_translation.py LOCALE 'msgid' 'msgstr' ..."""

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po


def main() -> None:
    """Apply msgid/msgstr pairs to kiosk/translations/LOCALE/LC_MESSAGES/messages.po."""
    locale, pairs = sys.argv[1], sys.argv[2:]
    path = Path(__file__).resolve().parent.parent / f"kiosk/translations/{locale}/LC_MESSAGES/messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh)
    for msgid, msgstr in zip(pairs[::2], pairs[1::2], strict=True):
        message = catalog.get(msgid)
        if message is None:
            sys.exit(f"not in the catalog: {msgid!r} (run tools/translations.sh first)")
        message.string = msgstr
    catalog.fuzzy = False
    with path.open("wb") as fh:
        write_po(fh, catalog, no_location=True, width=120, omit_header=False)


if __name__ == "__main__":
    main()

"""Every interface text has its English translation.

The texts are extracted from the code and templates as ``pybabel extract``
does for translators; each must be in the English catalog, translated and not
marked fuzzy. Texts that come from data (program names, question texts) are
not interface texts and are not extracted.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
ENGLISH = ROOT / "portal/translations/en/LC_MESSAGES/messages.po"


def test_every_interface_text_is_translated_into_english(tmp_path):
    template = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "-o", str(template), "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with open(template, "rb") as fh:
        wanted = [m for m in read_po(fh) if m.id]
    with open(ENGLISH, "rb") as fh:
        english = read_po(fh, locale="en")
    assert len(wanted) > 500
    missing = [m.id for m in wanted if m.id not in english]
    untranslated = [m.id for m in wanted if m.id in english and not _translated(english[m.id])]
    assert missing == [], "texts not in the English catalog: run pybabel update"
    assert untranslated == [], "texts without an English translation"


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return not message.fuzzy and all(strings)

"""Which language a customer wrote in, by the scripts in the text."""

from __future__ import annotations

import re
import unicodedata

from handlers.masking import MASK

_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_LATIN = re.compile(r"[A-Za-z]")


def detect(text: str, default: str = "ja") -> str:
    """ "ja" when the text has any kana or kanji, "en" when it has Latin letters only, else `default`."""
    # The placeholder of a hidden secret is written in kanji; what the customer wrote decides.
    text = unicodedata.normalize("NFKC", text).replace(MASK, " ")
    if _JAPANESE.search(text):
        return "ja"
    if _LATIN.search(text):
        return "en"
    return default

from __future__ import annotations

from faq.analyzer import Analyzer


def test_names_are_marked_as_proper_nouns() -> None:
    analysis = Analyzer().analyze("Netflixと楽天銀行のパスワード")
    assert {"netflix", "楽天銀行"} <= analysis.proper
    assert not any("パスワ" in term for term in analysis.proper)

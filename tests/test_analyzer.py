from __future__ import annotations

from faq.analyzer import Analyzer
from faq.normalize import fold


def test_names_are_marked_as_proper_nouns() -> None:
    analysis = Analyzer().analyze("Netflixと楽天銀行のパスワード")
    assert {"netflix", "楽天銀行"} <= analysis.proper
    assert not any("パスワ" in term for term in analysis.proper)


def test_what_is_left_of_an_english_contraction_is_no_word() -> None:
    terms = Analyzer().analyze("I'm locked out, I've tried, we'll see, they're gone, I'd say").terms
    assert not {"m", "ve", "ll", "re", "d"} & terms.keys()
    assert {"lock", "tri", "gone"} <= terms.keys()


def test_words_of_quantity_and_frequency_say_nothing_of_the_topic() -> None:
    terms = (
        Analyzer().analyze("I tried a few times, none of my usual ones worked last year, a little embarrassing").terms
    )
    assert not {"few", "none", "usual", "last", "littl", "little"} & terms.keys()
    assert {"tri", "time", "work", "year", "embarrass"} <= terms.keys()  # words of content stay


DIRECTIONS = [("入金", ["(外部|他の取引所)から.{0,15}送"]), ("出金", ["(外部|他の取引所)(に|へ).{0,15}送"])]


def test_the_particles_around_a_transfer_say_which_way_it_went() -> None:
    analyzer = Analyzer([["入金", "振込"], ["出金", "送金"]], directions=DIRECTIONS)
    deposit, withdrawal = analyzer.groups_of("入金"), analyzer.groups_of("出金")
    incoming = analyzer.analyze("他の取引所から送金したのに反映されない").terms  # 送金 spells 出金
    assert deposit <= incoming.keys() and not withdrawal & incoming.keys()
    outgoing = analyzer.analyze("外部に送ったコインが届かない").terms
    assert withdrawal <= outgoing.keys() and not deposit & outgoing.keys()
    both = analyzer.analyze("外部から送って外部に送金した").terms  # both ways: left as written
    assert withdrawal <= both.keys() and not deposit & both.keys()
    plain = Analyzer([["入金", "振込"], ["出金", "送金"]]).analyze("他の取引所から送金した").terms
    assert withdrawal <= plain.keys()
    # Which groups a pattern decided, so that they can count for more than a word.
    assert analyzer.analyze("他の取引所から送金したのに反映されない").directed == deposit
    assert analyzer.analyze("外部から送って外部に送金した").directed == frozenset()


def test_the_phrase_that_decided_a_direction_stands_as_that_direction() -> None:
    # 外部から送った says "a deposit"; the words wholly inside the phrase its pattern matched (外部から送),
    # written more often about withdrawals, no longer speak on their own, as words or as sounds.
    analyzer = Analyzer([["入金", "振込"], ["出金", "送金"]], directions=DIRECTIONS)
    analysis = analyzer.analyze("外部から送ったBTCが着金しない")
    assert analysis.directed == analyzer.groups_of("入金") <= analysis.terms.keys()
    assert "外部" not in analysis.terms and {"送ル", "btc", "着金"} <= analysis.terms.keys()  # 送っ outreaches it
    assert "ガイ" not in analysis.ngrams and "チャッ" not in analysis.ngrams and "チャ" in analysis.ngrams
    # Indexing an entry's own questions keeps every word.
    whole = analyzer.analyze("外部から送ったBTCが着金しない", read_phrases=False)
    assert {"外部", "送ル"} <= whole.terms.keys() and whole.directed == analysis.directed
    # Another company's name in the phrase stays: whose the money was still matters.
    company = Analyzer([["入金"]], directions=[("入金", ["他社から.{0,9}送金"])], others=["コインチェック"])
    terms = company.analyze("コインチェックから送金したのに着かない").terms
    assert "≠コインチェック" in terms and "送金" not in terms


def test_an_english_brand_owns_the_word_right_after_it() -> None:
    assert Analyzer().analyze("youtube password reset not working").owned == ((("youtub",), ("password",)),)
    # No particle says how far a name reaches: the bank is PayPay's, the deposit is not.
    assert Analyzer().analyze("PayPay bank deposit not reflected").owned == ((("paypay",), ("bank",)),)


def test_common_words_the_dictionary_calls_names_own_nothing() -> None:
    # Sudachi tags LOST and CORNER as people's names and WAS as a name; none is a brand.
    for text in ["2fa lost phone", "the bottom right corner chat", "my phone was lost"]:
        assert Analyzer().analyze(text).owned == ()


def test_a_brand_inside_a_synonym_spelling_is_part_of_it() -> None:
    analyzer = Analyzer([["二段階認証", "google authenticator"]])
    assert analyzer.analyze("google authenticator code wrong").owned == ()


def test_a_name_of_another_service_stands_whole_and_owns_what_follows() -> None:
    analyzer = Analyzer(
        [["入金", "deposit"]], extra_stopwords=["コイン", "ビットコイン"], others=["コインチェック", "Kraken"]
    )
    analysis = analyzer.analyze("コインチェックの入金が反映されない")  # コイン is a stop phrase, not inside the name
    assert "≠コインチェック" in analysis.proper and "≠コインチェック" in analysis.terms
    assert analysis.owned[0][0] == ("≠コインチェック",)
    assert analyzer.analyze("my kraken deposit is late").owned[0][0] == ("≠kraken",)  # lower case too
    assert analyzer.analyze("ビットコインの入金").owned == ()  # the stop phrase still goes
    # The word after the name may be the start of a synonym phrase with no term of its own.
    helped = Analyzer([["ヘルプセンター", "help center"]], others=["Kraken"]).analyze("Kraken help center link")
    assert helped.owned == ((("≠kraken",), ("≡ヘルプセンタ",)),)


def test_a_name_of_another_service_is_matched_as_written_and_whole() -> None:
    analyzer = Analyzer(
        [["入金", "deposit"], ["取引", "トレード"]], others=["ドコモ", "モンスト", "ビットトレード", "Kraken"]
    )
    assert "≠ドコモ" not in analyzer.analyze("入金したのにどこも反映されてない").terms  # どこも: anywhere
    assert not any(t.startswith("≠") for t in analyzer.analyze("デモンストレーションを見た").terms)
    inside = analyzer.analyze("ビットトレードの画面").terms  # トレード is the name's, not our trading
    assert "≠" + fold("ビットトレード") in inside and "≡取引" not in inside
    # A comma ends the name's reach: the deposit is ours, sent in from Kraken.
    assert analyzer.analyze("I sent BTC from Kraken, deposit still not reflected").owned == ()


def test_a_name_that_is_also_a_word_is_matched_only_as_written() -> None:
    analyzer = Analyzer([["電話", "phone"]], others=["Kraken"], others_as_written=["LINE"])
    assert analyzer.analyze("LINEのパスワード忘れた").owned[0][0] == ("≠line",)
    assert "≠line" in analyzer.analyze("ＬＩＮＥの二段階認証").terms  # full width is folded first
    assert not any(t.startswith("≠") for t in analyzer.analyze("is the phone line open").terms)
    assert not any(t.startswith("≠") for t in analyzer.analyze("Line busy all day").terms)
    assert "≠kraken" in analyzer.analyze("KRAKEN withdrawal").terms  # the others list folds case


def test_only_a_name_shaped_word_the_dictionary_lacks_is_a_brand() -> None:
    analyzer = Analyzer()
    assert analyzer.analyze("my Bitvavo withdrawal").owned == ((("bitvavo",), ("withdraw",)),)
    assert analyzer.analyze("my DOGE withdrawal").owned == ()  # all capitals: a ticker or caps lock
    assert analyzer.analyze("My Bitvavo Withdrawal Is Late").owned == ()  # Every Word Capitalised
    shaped = analyzer.analyze("thanks Withdrawl pending")
    assert "withdrawl" in shaped.shaped  # a name only by its capital, so a typo may explain it


def test_another_companys_name_reads_as_elsewhere_for_directions() -> None:
    directions = [("入金", ["(他社|外部)から.{0,15}送"]), ("出金", ["(他社|外部)(に|へ).{0,15}送"])]
    analyzer = Analyzer([["入金", "振込"], ["出金", "送金"]], directions=directions, others=["コインチェック"])
    terms = analyzer.analyze("コインチェックから送金したのに着いてない").terms  # 送金 spells 出金
    assert analyzer.groups_of("入金") <= terms.keys() and not analyzer.groups_of("出金") & terms.keys()


def test_ownership_looks_past_a_space_before_the_particle() -> None:
    analyzer = Analyzer(others=["au"])
    assert analyzer.analyze("au の問い合わせフォーム").owned[0][0] == ("≠au",)


def test_what_happens_at_another_company_is_theirs() -> None:
    # Coincheckで入金が反映されない: the deposit happened at Coincheck, as if it were Coincheckの入金.
    analyzer = Analyzer([["入金", "振込"]], directions=DIRECTIONS[:1], others=["Coincheck", "PayPay", "ドコモ"])
    owned = analyzer.analyze("Coincheckで入金が反映されない").owned
    assert owned and owned[0][0] == ("≠coincheck",) and "入金" in owned[0][1]
    # Only a transfer: the phone changed at ドコモ is the customer's, what broke may be ours.
    assert analyzer.analyze("ドコモで機種変更したらログインできない").owned == ()
    # で after a word that is not another company's name owns nothing (PayPay銀行 is a bank).
    assert analyzer.analyze("PayPay銀行で振り込んだのに反映されない").owned == ()
    assert analyzer.analyze("スマホで入金したのに反映されない").owned == ()


def test_a_quantity_or_a_time_owns_nothing_and_a_counter_is_no_topic() -> None:
    analyzer = Analyzer([["入金", "振込"]], others=["Gmail"])
    for text in ("3万円の入金が反映されない", "10万円分の入金", "2回目の入金", "3日前の入金", "100XRPの入金"):
        analysis = analyzer.analyze(text)
        assert analysis.owned == (), text
        assert not {"円", "分", "回", "日", "前"} & analysis.terms.keys(), text
    # The number may matter (6桁), and so may the thing counted (2口座, 2 accounts).
    assert {"6", "桁"} <= analyzer.analyze("6桁の数字").terms.keys()
    assert "口座" in analyzer.analyze("2口座目を作りたい").terms
    assert "account" in analyzer.analyze("can i open 2 accounts").terms
    # Nor does a time (さっきの入金, 週末の電話番号).
    assert analyzer.analyze("さっきの入金").owned == ()
    # Nor a time the dictionary does not mark as an adverb (年末年始の入金, 祝日の振込, GWの入金).
    for text in ("年末年始の入金", "祝日の振込", "GWの入金", "振替休日の入金"):
        assert analyzer.analyze(text).owned == (), text
    # ... and passes on what owns it: another company's transfer at New Year is still theirs.
    for text in ("Gmailの年末年始の入金", "Gmailの週末の入金"):
        assert any(owner == ("≠gmail",) and "入金" in words for owner, words in analyzer.analyze(text).owned), text
    # A name after the quantity still owns what follows it.
    assert analyzer.analyze("2つ目のGmailのパスワード").owned[0][0] == ("≠gmail",)


def test_a_spelling_inside_a_longer_one_is_part_of_that_word() -> None:
    # ワンタイムパスワード is a two-factor code, not a password; read aloud (わんたいむぱすわーど) too.
    analyzer = Analyzer([["二段階認証", "ワンタイムパスワード"], ["パスワード", "password"]])
    two_factor, password = analyzer.groups_of(fold("二段階認証")), analyzer.groups_of(fold("パスワード"))
    assert two_factor and password
    for text in ["ﾜﾝﾀｲﾑﾊﾟｽﾜｰﾄﾞが通らない", "わんたいむぱすわーどがとおらない"]:
        terms = analyzer.analyze(text).terms
        assert two_factor <= terms.keys() and not password & terms.keys()
    assert password <= analyzer.analyze("パスワードが通らない").terms.keys()


def test_a_name_inside_another_on_the_list_is_read_as_one_other_company() -> None:
    # GMO and GMOコイン are both on the list: the text reads 他社から送金, and the phrase it matched
    # maps back onto the whole name, which stays.
    directions = [("入金", ["他社から.{0,9}送金"]), ("出金", ["他社(に|へ).{0,9}送金"])]
    analyzer = Analyzer([["入金"], ["出金", "送金"]], directions=directions, others=["GMO", "GMOコイン"])
    analysis = analyzer.analyze("GMOコインから送金したのに反映されない")
    assert analysis.directed == analyzer.groups_of("入金")
    assert "≠gmoコイン" in analysis.terms and not analyzer.groups_of("出金") & analysis.terms.keys()
    assert "≠gmo" not in analysis.terms  # one company, named once
    assert "ソウ" not in analysis.ngrams and "ハン" in analysis.ngrams  # 送金 is the phrase's, 反映 not


def test_a_text_whose_folding_changes_length_still_gets_its_direction() -> None:
    # İ lower-cases to two characters, so offsets cannot be mapped back: the direction is still
    # decided, and every word keeps its say.
    analyzer = Analyzer([["入金", "振込"], ["出金", "送金"]], directions=DIRECTIONS)
    analysis = analyzer.analyze("İstanbulの外部から送ったBTCが着金しない")
    assert analysis.directed == analyzer.groups_of("入金") and "外部" in analysis.terms

from __future__ import annotations

import time

import pytest

from handlers.masking import MASK, mask

SECRET_CASES = [
    ("パスワードは Abc!2345 です", "Abc!2345"),
    ("my password is hunter22", "hunter22"),
    ("my password is sunshine", "sunshine"),  # a plain word that is no state is a value
    ("password: wrong", "wrong"),  # after a colon, whatever follows is the value
    ("my password is: hunter22", "hunter22"),  # "is" and a colon
    ("my password is: wrong", "wrong"),
    ("the code is - 7391ab", "7391ab"),  # not six digits: the dash's own rule hides it
    ("my password is — hunter22", "hunter22"),  # an em dash, as phones type "--"
    ("my password is -> hunter22", "hunter22"),
    ("password is... hunter22", "hunter22"),
    ("PW: qwerty99", "qwerty99"),
    ("認証コード 123456", "123456"),
    ("コードは482913です", "482913"),
    ("届いた番号 739102 を入れても駄目", "739102"),
    ("APIキー: Zx8sK2mQ9vL4pR7tY1wE3uI6oP0aS5dF", "Zx8sK2mQ9vL4pR7tY1wE3uI6oP0aS5dF"),
    ("secret=9f8e7d6c5b4a39281706f5e4d3c2b1a0", "9f8e7d6c5b4a39281706f5e4d3c2b1a0"),
    ("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBk\n-----END EC PRIVATE KEY-----", "MHcCAQEEIBk"),
    ("秘密鍵 0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318", "4c0883a69102937d"),
    (
        "シードフレーズは abandon ability able about above absent absorb abstract absurd abuse access accident です",
        "abandon ability",
    ),
    ("カード番号 4111 1111 1111 1111 です", "4111 1111 1111 1111"),
    ("カード 4111-1111-1111-1111", "4111-1111-1111-1111"),
    ("マイナンバー 1234 5678 9012", "1234 5678 9012"),
    # Right after kana or kanji, as Japanese is written (no \b there: both are word characters).
    ("カード番号は4111111111111111です", "4111111111111111"),
    ("カード番号4111 1111 1111 1111です", "4111 1111 1111 1111"),
    ("マイナンバーは123456789012", "123456789012"),
    ("マイナンバー1234-5678-9012です", "1234-5678-9012"),
    ("4111111111111111で払いました", "4111111111111111"),  # no label: the check digit holds
    ("my password is Sterling", "Sterling"),  # a name, not a state
    ("my password is lovely", "lovely"),
    ("パスワードはdragonfly", "dragonfly"),  # after は the value, whatever word it is
    ("ＰＡＳＳＷＯＲＤ：ｈｕｎｔｅｒ２２", "hunter22"),  # full-width letters
    ("パスワードは「Tr0ub4dor&3」です", "Tr0ub4dor&3"),  # in Japanese quotes
    ("SMSの認証コードは 481 902 でした", "481 902"),  # a code typed in two halves
    # Recovery phrases (BIP39 words) however they are pasted: with commas, numbered, capitalised,
    # in Japanese, or only half of one after a label.
    (
        "seed phrase: abandon, ability, able, about, above, absent, absorb, abstract, absurd, abuse, access, accident",
        "absent, absorb",
    ),
    (
        "1. abandon\n2. ability\n3. able\n4. about\n5. above\n6. absent\n7. absorb\n8. abstract\n9. absurd\n"
        "10. abuse\n11. access\n12. accident",
        "absorb\n8. abstract",
    ),
    ("Abandon Ability Able About Above Absent Absorb Abstract Absurd Abuse Access Accident", "Absent Absorb"),
    (
        "あいこくしん あいさつ あいだ あおぞら あかちゃん あきる あけがた あける あこがれる あさい あさひ あしあと",
        "あきる あけがた",
    ),
    ("復元フレーズの最初の6つは abandon ability able about above absent です", "about above"),
    (
        '["abandon","ability","able","about","above","absent","absorb","abstract","absurd","abuse","access","accident"]',
        "absorb",
    ),
    (
        "• abandon\n• ability\n• able\n• about\n• above\n• absent\n• absorb\n• abstract\n• absurd\n• abuse\n"
        "• access\n• accident",
        "absorb",
    ),
    (
        "abandon | ability | able | about | above | absent | absorb | abstract | absurd | abuse | access | accident",
        "absorb",
    ),
    # one word mistyped does not cut the phrase in two
    ("Abandon Ability Able About Above Absentt Absorb Abstract Absurd Abuse Access Accident", "Absorb Abstract"),
    ("シード: abandon ability able about above absent", "able about"),
    # the mistyped word may come first or last, and is masked with the rest
    ("abandn, ability, able, about, above, absent, absorb, abstract, absurd, abuse, access, accident", "abandn"),
    ("abandon, ability, able, about, above, absent, absorb, abstract, absurd, abuse, access, acident", "acident"),
    ("seed phrase: abandn ability able about above absent", "able about"),
    ("my 12 words are abandon ability able about above absent absorb", "able about"),
    # Keys right after kana or kanji, where \b finds no edge.
    ("メタマスクの鍵4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318", "4c0883a69102937d"),
    ("これです5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ", "5HueCGU8rMjxEXxi"),  # a WIF key
    ("プライベートキーは0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318", "4c0883a69102937d"),
    # Labels and joints customers use.
    ("パス: himitsu99", "himitsu99"),
    ("ログインパス qwer1234", "qwer1234"),
    ("ぱすわーどは abcd1234", "abcd1234"),
    ("pwd: s3cret!", "s3cret!"),
    ("パスワードは、abcd1234", "abcd1234"),
    ("パスワードは「 abcd1234 」", "abcd1234"),
    ("backup codes: ab12cd34 ef56gh78", "ef56gh78"),  # every code of the line
    ("バックアップコード: 1234-5678 9361 1048", "9361 1048"),
    ("セットアップキーは JBSWY3DPEHPK3PXP", "JBSWY3DPEHPK3PXP"),  # the two-factor seed
    ("2fa key: JBSWY3DPEHPK3PXP", "JBSWY3DPEHPK3PXP"),
    ("cvv 123", "123"),
    ("セキュリティコードは 4321 です", "4321"),
    ("4111ー1111ー1111ー1111", "4111ー1111"),  # dashes as a Japanese keyboard types them
    # A secret's name near a token outweighs an address's or a hash's label.
    ("ウォレットの秘密鍵を送ります 5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ", "5HueCGU8"),
    ("アドレスと秘密鍵: 7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV", "7EcDhSYGx"),
    (
        "txが反映されないので秘密鍵を送ります 4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
        "4c0883a69102937d",
    ),
    # Six digits named as something else only right before them.
    ("ログインエラー。SMSの739102が使えません", "739102"),
    ("出金額の確認で届いた739102", "739102"),
    ("認証コード(注文確認) 739102", "739102"),
    ("https://x.com/api?token=Zx8sK2mQ9vL4pR7tY1wE3uI6oP0aS5dFxx", "Zx8sK2mQ9"),  # a key in a link's query
    # Links: a long segment (a webhook's token), a user's password; text after a link is no link.
    ("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX", "XXXXXXXXXXXX"),
    ("https://admin:Sup3rS3cret@example.com/", "Sup3rS3cret"),
    ("https://example.com/docsを見ましたが、SMSの739102が使えません", "739102"),
    ("https://example.com/docsを見ました。Zx8sK2mQ9vL4pR7tY1wE3uI6oP0aS5dF", "Zx8sK2mQ9"),
    ("パスワード:https://x.com/,Hunter2024!", "Hunter2024"),
    # "was" before a value with a digit or a symbol.
    ("my password was Hunter2024!", "Hunter2024"),
    ("My PIN was 4821", "4821"),
    ("https://admin:p@ssw0rd!@example.com/", "ssw0rd"),  # a link's password with an @ inside
    ("送金先アドレス 5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ", "5HueCGU8"),  # a key's length
]


@pytest.mark.parametrize(("text", "secret"), SECRET_CASES)
def test_secrets_are_masked(text: str, secret: str) -> None:
    masked = mask(text)
    assert masked.hidden
    assert secret not in masked.text
    assert MASK in masked.text


@pytest.mark.parametrize(
    "text",
    [
        "パスワードを忘れました",
        "パスワードは忘れました",
        "入金が反映されない",
        "100000円を振り込みました",
        "2026年11月24日に30000円入金",
        "二段階認証のコードが届かない",
        "I forgot my password",
        "I lost my seed phrase, can you help me access my account please",
        "シードフレーズをなくしました。どうすればいいですか",
        "電話番号は0120-123-456ですか",
        "please help, what can you do about my deposit order, i have the code",
        # Three and three digits are a code only after a code's label.
        "0120 123 456に電話したい",
        "order 123 456 is stuck",
        "注文番号 123 456 789",
        "500 000 から 700 000 円",
        "Tx fee was 123 456 sats",
        # A label does not make the common words around it a phrase.
        "Someone asked for my seed phrase. They said what should I do about my account access",
        "My recovery phrase: I think someone saw it. Can you lock my account now please? This is urgent",
        "The app said: enter your recovery phrase. Is this safe? Please tell me what to do",
        # An amount after a code's label is still an amount.
        "認証コードを入力したら 100 000 円が消えました",
        "QRコードで 120 000 JPY",
        # What staff need to trace a transfer, and is public: addresses, transaction hashes.
        "送金先は 0x742d35Cc6634C0532925a3b844Bc454e4438f44e です",
        "BTCアドレス 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq に送りました",
        "Solanaのアドレス 7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV",
        "txid: 5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060",
        "トランザクションハッシュは0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060です",
        "https://etherscan.io/tx/0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060",
        # Six digits that are named as something else, and codes that are no secret.
        "宛先タグは 104857 です",
        "入金額 500000",
        "注文番号 123456",
        "エラーコードは E10001 です",
        "APIのエラーコード -208",
        "error code: 100001",
        "招待コードは ABCD1234",
        "パスポートの写真が通らない",
        "鍵マークが出ない",
        "the key is to wait",
        "backup codes not working",
        "https://support.example.com/hc/en-us/articles/360012345678",  # a help center link
        "https://support.example.com/hc/requests/482910 を見てください",
        "パスワードは https://example.com/password/reset から再設定できます",  # where, not what
        "hotkey Ctrl+Shift+R",
        "Did I pass step-2?",
        "my wallet address is 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
        "こちらhttps://support.example.com/hc/requests/482910",
        "(https://support.example.com/hc/articles/360000000007)",
        "注文 739102の件",
        "注文ID 739102",
        "チケット番号 739102",
        "ブロック高 834123",
        "受付番号は、739102",
        "注文番号は「739102」です",
        "宛先タグ(memo)739102",
        "取引ID 739102",
        "注文 ID 739102",
        # Links as staff send them: a path of words, an explorer's hash page.
        "https://example.com/docs/api_reference_for_trading_v2",
        "https://example.com/help/pin-reset",
        "https://example.com/password-reset?lang=ja",
        "https://medium.com/@examplejp/how-to-use-the-api",
        "https://www.blockchain.com/explorer/transactions/btc/5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060",
        "鍵 Android14で表示されません",  # パス and 鍵 with a space alone are words
        "スマホのパス iPhone15Proだと",
    ],
)
def test_ordinary_messages_pass_unchanged(text: str) -> None:
    masked = mask(text)
    assert not masked.hidden
    assert masked.text == text


@pytest.mark.parametrize(
    "text",
    [
        "2FA code not arriving",
        "password reset please",
        "API key permissions",
        "my pin is not working",
        # After "is", a word saying what state the secret is in is not the secret.
        "my password is wrong",
        "My password is incorrect.",
        "the code is then sent to my email",
        "my 2fa code is invalid",
        "the verification code is expired",
        "my api key is revoked",
        "password is correct but I cannot log in",
        "PIN is locked",
        "password is case sensitive?",
        "my password is definitely right",
        "password is - wrong",  # after a dash, a state is still a state
        "token is... expired",
        # "was" says what happened to a secret far more often than what it is.
        "The code was sent but I never got it",
        "My API key was deleted",
        "The PIN was entered three times",
        # Numbers of a card's or My Number's length whose check digit fails, with no label.
        "注文番号202611301234の件で",
        "受付番号2026113012345678です",
    ],
)
def test_words_after_a_label_are_not_secrets(text: str) -> None:
    assert not mask(text).hidden


def test_nul_characters_are_dropped_for_the_database() -> None:
    # PostgreSQL refuses NUL in text: a message with one was lost in a handoff.
    masked = mask("入金が\x00反映されない")
    assert masked.text == "入金が反映されない" and not masked.hidden


@pytest.mark.parametrize(
    ("previous", "text", "hidden"),
    [
        ("パスワードは", "Hunter2024", True),  # the label in one message, the value in the next
        ("パスワードは", "「Hunter2024」です", True),
        ("my password is", "sunshine", True),
        ("パスワード", "abcd1234", True),  # the label alone: a value with a digit
        ("パスワード", "hello", False),  # ... and not a plain word
        ("パスワードを忘れた", "abcd1234", False),  # the message before says something else
        ("", "Hunter2024", False),
        ("コード:", "739102", True),
        ("what is the code", "thanks!!", False),  # a word and a feeling
        ("my password is", "wrong", False),  # a state
        ("reset my password", "10:30", False),  # a time, not a password's shape
        ("the key is", "fine", False),
    ],
)
def test_a_value_sent_after_its_label(previous: str, text: str, hidden: bool) -> None:
    masked = mask(text, previous)
    assert masked.hidden is hidden
    assert (text.strip("「」です") not in masked.text) is hidden


@pytest.mark.parametrize(
    "text",
    [
        "パスワードは" + "　" * 3000 + "x",  # a long run of spaces after a label
        "backup codes" + " " * 3000 + "x",
        "password" + "1 " * 2000,
        "カード" + "ab" * 2000,
        "0x" + "a" * 10000,  # one word of ten thousand letters
        "123456、" * 3000,  # many numbers, each looked at for a link before it
        "https://a.com/" + "b/123456 " * 2000,
        "パスワードは " * 1000,
    ],
)
def test_no_message_makes_masking_slow(text: str) -> None:
    # Patterns that could try every way of sharing out a run of spaces took 24 s on 2,000 of them;
    # every case here takes a few milliseconds, so one second is a wide margin on a slow machine.
    started = time.perf_counter()
    mask(text)
    mask("Hunter2024", text)
    assert time.perf_counter() - started < 1.0

"""Function words of Japanese and English that never decide which entry fits.

These are language facts, not knowledge: domain words to ignore live in the knowledge file.
"""

from __future__ import annotations

# Sudachi normalised forms (folded by faq.normalize.fold) of verbs, nouns and adjectives that
# carry grammar or politeness rather than a topic.
JAPANESE = frozenset(
    """
    為る 居る 有る 成る 出来る 遣る 致す 頂く 下さる 呉れる 貰う 言う 思う 見る 来る 行く 仕舞う
    置く 欲しい 良い 無い 無し 御座る 参る 申す 存じる 願う 分かる 知る 教える 聞く 尋ねる 助ける
    事 物 者 為 様 時 場合 方 所 中 内 際 後 前 訳 筈 感じ 辺り 件 点 旨 上 下 他 等 毎 今回
    方法 仕方 遣り方 やり方 使い方 手順 手続き 如何 何 何故 何処 何時 誰 此れ 其れ 彼れ 此処 其処
    私 僕 俺 自分 貴方 皆 皆様 皆さん 御前 我々 当方 本当 今 今日 昨日 明日 先日 最近 現在 只今 至急 急ぎ
    朝 昼 夜 夕方 昨夜 今朝 今夜 一昨日 先週 今週 来週 先月 今月 来月 日 週 月 年 数日 何日 何回 何度 前 後 間
    教示 御教示 恐れ入る 恐縮 幸い 存ずる 申し上げる 差し上げる 伺う 頂戴 賜る 行う 状況 状態 様子 感じる 続く
    すみません 済みません 有難う 宜しく お願い 願い 質問 問題 全然 全く 少し 一寸 まだ 又 もう 既に 色々
    よう そう こう どう ああ ええ はい いいえ うん ね よ な ん の もの こと ため とき ところ 的
    """.split()
)

ENGLISH = frozenset(
    """
    a an the and or but if then so of to in on at for from by with about as into over after before
    is am are was were be been being do does did doing have has had having will would shall should can
    could may might must i me my mine we us our you your yours he she it its they them their this that
    these those there here what which who whom whose when where why how not no yes any some all
    very just still yet also too again please thanks thank hi hello hey ok okay get got want wanted need
    tell know let like make made help one way ago day days week weeks month months yesterday today tomorrow
    morning night hasn haven isn aren wasn didn doesn don t s since already really
    m ve ll re d
    few none last several much many more most other another same such own every each both either neither
    anything something nothing everything someone anyone everyone somebody anybody lot bit
    ever never always often sometimes maybe perhaps actually basically probably usually usual little
    """.split()
)

# Sudachi normalised forms of words that count or measure a number (3万円, 2回, 10分, 24時間):
# after a number they say how much, not what. A counter that names the topic is not here (6桁:
# a code's digits).
COUNTERS = frozenset(
    """
    円 ドル 万 千 百 回 度 番 段 段階 分 秒 時間 日間 週間 箇月 ヶ月 か月 カ月 年間 個 枚 人 名 本 台 通 倍 割 パーセント
    """.split()
)

# Sudachi normalised forms of nouns that say when, though the dictionary does not mark them as
# able to stand as adverbs (as it does 週末 and 夜中): before の they own nothing, so 年末年始の受付
# is our desk at New Year and 祝日の出金 our withdrawal on a holiday, not something of theirs.
WHEN = frozenset(
    """
    年末年始 年始 正月 盆 夜間 祝日 祭日 祝祭日 振り替え休日 連休 gw ゴールデンウィーク 月初 週明け 年明け
    夏休み 冬休み 休み明け 営業日 元日 元旦 大晦日 三箇日
    """.split()
)

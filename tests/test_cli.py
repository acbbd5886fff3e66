from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SHARED
from tests.servers import free_port

JSON_KEYS = {"query", "intent", "faq_id", "score", "ranking", "lang", "text"}


def run(
    *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    full_env = {k: v for k, v in os.environ.items() if k not in ("FAQ_PATH", "PORT")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bots", *args], input=stdin, capture_output=True, cwd=REPO, env=full_env, timeout=60
    )


def lines(result: subprocess.CompletedProcess[bytes]) -> list[dict[str, object]]:
    return [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]


def test_ask_json_follows_the_contract() -> None:
    result = run("ask", "--json", "--at", "2026-11-24T10:30:00+09:00", "パスワードを忘れた")
    assert result.returncode == 0, result.stderr
    [answer] = lines(result)
    assert set(answer) == JSON_KEYS
    assert answer["intent"] == "faq" and answer["faq_id"] == "forgot-password" and answer["lang"] == "ja"
    assert isinstance(answer["score"], float)
    ranking = answer["ranking"]
    assert isinstance(ranking, list) and len(ranking) == 3
    assert ranking[0] == {"faq_id": "forgot-password", "score": answer["score"]}


def test_ask_batch_answers_one_line_each_in_order_even_for_bad_input() -> None:
    queries = [
        "入金が反映されない".encode(),
        b"",
        b"\xff\xfe broken utf-8",
        ("あ" * 10_000).encode(),
        "受付時間を教えて".encode(),
        "🙏".encode(),
        b"talk to a human\r",
    ]
    result = run("ask", "--json", "--top", "5", "--at", "2026-11-28T11:00", "-", stdin=b"\n".join(queries) + b"\n")
    assert result.returncode == 0, result.stderr
    answers = lines(result)
    assert [a["intent"] for a in answers] == ["faq", "fallback", "fallback", "fallback", "hours", "fallback", "handoff"]
    assert all(len(a["ranking"]) == 5 for a in answers)  # type: ignore[arg-type]
    assert answers[6]["lang"] == "en"
    assert answers[4]["score"] is None and answers[4]["faq_id"] is None
    assert b"line 3: invalid UTF-8" in result.stderr


def test_ask_plain_text_prints_the_reply() -> None:
    result = run("ask", "--at", "2026-11-24T10:30+09:00", "今電話つながる?")
    assert result.returncode == 0
    assert "電話サポートは現在受付中です(17:00まで)" in result.stdout.decode()


@pytest.mark.parametrize(
    "args",
    [
        ("ask", "--at", "yesterday", "x"),
        ("ask", "--top", "-1", "x"),
        ("nope",),
        ("serve", "--port", "-1"),
        ("serve", "--port", "70000"),  # not folded into a port that happens to exist (4464)
    ],
)
def test_bad_usage_exits_2(args: tuple[str, ...]) -> None:
    assert run(*args).returncode == 2


def test_hours_json() -> None:
    result = run("hours", "--json", "--at", "2026-11-28T02:00:00Z")  # Saturday 11:00 JST
    assert result.returncode == 0
    payload = json.loads(result.stdout)
    assert payload == {
        "at": "2026-11-28T11:00:00+09:00",
        "channels": {
            "phone": {"open": False, "opens_at": "2026-11-30T09:00:00+09:00", "closes_at": None},
            "chat": {"open": False, "opens_at": "2026-11-30T10:00:00+09:00", "closes_at": None},
        },
    }


def test_hours_json_while_open() -> None:
    payload = json.loads(run("hours", "--json", "--at", "2026-11-24T09:30:00+09:00").stdout)
    assert payload["channels"]["phone"] == {"open": True, "opens_at": None, "closes_at": "2026-11-24T17:00:00+09:00"}
    assert payload["channels"]["chat"]["opens_at"] == "2026-11-24T10:00:00+09:00"


def test_check_good_and_bad_files(tmp_path: Path) -> None:
    good = run("check")
    assert good.returncode == 0
    assert b"OK, 13 entries" in good.stdout and b"labelled examples" in good.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("entries:\n  - id: a\n    questions: {ja: []}\n  - id: a\n    questions: {ja: [q]}\n")
    result = run("check", str(bad))
    assert result.returncode == 1
    err = result.stderr.decode()
    assert "empty question list" in err and "answer: missing" in err and "problem(s)" in err


def test_faq_path_switches_the_knowledge_base(tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text(
        json.dumps(
            {
                "entries": [
                    {
                        "id": "refund",
                        "questions": {"ja": ["返金してほしい"]},
                        "answer": {"ja": "返金は購入から30日以内です。"},
                    },
                    {
                        "id": "shipping",
                        "questions": {"ja": ["配送状況を知りたい"]},
                        "answer": {"ja": "追跡番号をご確認ください。"},
                    },
                ]
            },
            ensure_ascii=False,
        )
    )
    [answer] = lines(run("ask", "--json", "返金したい", env={"FAQ_PATH": str(other)}))
    assert answer["faq_id"] == "refund"


def test_malformed_setting_stops_with_its_name() -> None:
    result = run("ask", "x", env={"PORT": "eighty"})
    assert result.returncode == 2
    assert b"PORT" in result.stderr


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"DATABASE_URL": "sqlite:////nonexistent/dir/x.db"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql://u:secret@127.0.0.1:1/db"}, "DATABASE_URL"),  # nothing listens there
    ],
)
def test_a_setting_that_does_not_work_stops_serve_with_its_name(env: dict[str, str], name: str) -> None:
    result = run("serve", "--port", str(free_port()), env={**env, "LINE_CHANNEL_SECRET": "", "SLACK_BOT_TOKEN": ""})
    assert result.returncode == 2
    last = result.stderr.decode().strip().splitlines()[-1]
    assert (
        last.startswith(f"supportbot: {name}: cannot open the database") and "Traceback" not in result.stderr.decode()
    )
    assert b"secret" not in result.stderr


def test_an_address_already_taken_stops_serve_without_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        database = f"sqlite:///{tmp_path / 'bot.db'}"
        result = run("serve", "--host", "127.0.0.1", "--port", str(port), env={"DATABASE_URL": database})
    assert result.returncode == 2
    stderr = result.stderr.decode()
    assert f"supportbot: cannot listen on 127.0.0.1:{port}" in stderr and "Traceback" not in stderr


def test_eval_scores_the_dev_set() -> None:
    result = run("eval", str(SHARED / "eval" / "dev_queries.jsonl"))
    assert result.returncode == 0
    out = result.stdout.decode()
    assert "in-domain top-1 accuracy: 44/44 (100.0%)" in out
    assert "out-of-domain rejection:  6/6 (100.0%)" in out


def test_eval_reports_bad_lines(tmp_path: Path) -> None:
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"q": "x", "expect": ["api-usage"]}\nnot json\n{"q": 1}\n')
    result = run("eval", str(bad))
    assert result.returncode == 1
    assert b"line 2: invalid JSON" in result.stderr and b"line 3" in result.stderr


def test_eval_reads_json_lines_as_json_and_knows_its_labels(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    # A byte order mark, and a line separator inside a string: one line each.
    good.write_text('\ufeff{"q": "パスワード\u2028忘れた", "expect": ["forgot-password"]}\n', encoding="utf-8")
    result = run("eval", str(good))
    assert result.returncode == 0, result.stderr
    assert "in-domain top-1 accuracy: 1/1 (100.0%)" in result.stdout.decode()
    unknown = tmp_path / "unknown.jsonl"
    unknown.write_text('{"q": "hi", "expect": ["@greeting"]}\n{"q": "x", "expect": ["nowhere"]}\n')
    result = run("eval", str(unknown))
    assert result.returncode == 1
    assert b"line 1: unknown id @greeting" in result.stderr and b"line 2: unknown id nowhere" in result.stderr


def test_a_batch_answer_stays_on_its_line_whatever_breaks_it(tmp_path: Path) -> None:
    answer = "手順1\r\n手順2\u2028手順3\u0085手順4"
    entries = [{"id": "steps", "questions": {"ja": ["手順を教えて"]}, "answer": {"ja": answer}}]
    knowledge = tmp_path / "steps.json"
    knowledge.write_text(json.dumps({"entries": entries}))
    result = run("ask", "-", stdin="手順を教えて\n手順を教えて\n".encode(), env={"FAQ_PATH": str(knowledge)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().split("\n") == ["手順1 手順2 手順3 手順4"] * 2 + [""]


def test_chat_runs_a_conversation_over_stdin() -> None:
    result = run("chat", stdin="入金が反映されない\n1\nexit\n".encode())
    assert result.returncode == 0
    out = result.stdout.decode()
    assert "振込明細" in out
    assert out.count("[1]") >= 2


def test_invalid_utf8_in_the_argument_still_gives_utf8_json() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bots", "ask", "--json", os.fsdecode(b"\xff\xfe\xe5\x85\xa5\xe9\x87\x91")],
        capture_output=True,
        cwd=REPO,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.decode("utf-8"))
    assert answer["query"].endswith("入金")


@pytest.mark.parametrize("at", ["9999-12-31", "0001-01-01T00:00+09:00", "2026-13-01"])
def test_out_of_range_times_are_usage_errors(at: str) -> None:
    result = run("hours", "--at", at)
    assert result.returncode == 2
    assert b"Traceback" not in result.stderr


def test_check_does_not_need_unrelated_settings() -> None:
    assert run("check", env={"PORT": "eighty"}).returncode == 0


def test_top_changes_the_ranking_shown_not_the_reply() -> None:
    one = lines(run("ask", "--json", "--top", "1", "お金"))[0]
    five = lines(run("ask", "--json", "--top", "5", "お金"))[0]
    assert one["text"] == five["text"] and one["text"].startswith("もしかして")  # type: ignore[union-attr]
    assert len(one["ranking"]) == 1 and len(five["ranking"]) == 5  # type: ignore[arg-type]
    none = lines(run("ask", "--json", "--top", "0", "パスワードを忘れた"))[0]
    assert none["ranking"] == [] and isinstance(none["score"], float)


def test_migrate_prepares_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'release.db'}"
    first = run("migrate", env={"DATABASE_URL": url})
    assert first.returncode == 0 and b"database ready (schema" in first.stdout
    assert run("migrate", env={"DATABASE_URL": url}).returncode == 0  # again: harmless
    refused = run("migrate", env={"DATABASE_URL": "postgresql://postgres@127.0.0.1:9/nowhere"})
    # A database that does not work is a setting that does not work: exit 2, named, as serve does.
    assert refused.returncode == 2 and b"supportbot: DATABASE_URL: cannot open the database" in refused.stderr

from __future__ import annotations

import pytest
from prometheus_client import generate_latest

from bots.metrics import Metrics
from handlers.conversation import NOTICE, OFFER, WARNING
from handlers.messages import Reply


@pytest.mark.parametrize(
    ("intents", "fallbacks"),
    [
        (["faq"], 0),
        (["fallback"], 1),
        (["fallback", OFFER], 1),  # the offer of a person after repeated fallbacks: still one message
        ([WARNING, "faq"], 0),  # a hidden secret warned about, the question answered
        ([WARNING, "fallback"], 1),
        ([NOTICE], 0),  # the rate limit's notice answers nothing, but is no failure to understand
        ([], 0),  # dropped over the limit
    ],
)
def test_one_message_counts_at_most_one_fallback(intents: list[str], fallbacks: int) -> None:
    metrics = Metrics()
    metrics.replied([Reply("t", intent=intent) for intent in intents])
    text = generate_latest(metrics.registry).decode()
    assert f"supportbot_fallbacks_total {float(fallbacks)}" in text
    for intent in set(intents):
        assert f'supportbot_answers_total{{intent="{intent}"}} {float(intents.count(intent))}' in text

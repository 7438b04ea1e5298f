"""Any Unicode string up to 20,000 characters gives a valid answer or usage help, never an exception."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import UsageError

LABELS = {"PO", "PM", "SHARED", "TEAM", "UNKNOWN"}
words = st.sampled_from(
    ["who", "decides", "price", "backlog", "PO", "PM", "roadmap", "🤔", "the", "é", "\n", "<!here>"]
)
questions = st.one_of(
    st.text(max_size=20_000),
    st.lists(words, max_size=60).map(" ".join),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1000, max_size=20_000),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(q=questions)
def test_any_string_gives_an_answer_or_usage(answerer, q: str) -> None:
    try:
        ans = answerer.answer(q)
    except UsageError as exc:
        assert not q.strip() and exc.message
        return
    d = ans.to_dict()
    assert d["recommendation"] in LABELS
    assert 0.0 <= d["confidence"] <= 1.0
    assert isinstance(d["rationale"], str) and d["rationale"]
    assert all(isinstance(p["text"], str) and p["text"] for p in d["passages"])
    assert len(ans.question) <= 500

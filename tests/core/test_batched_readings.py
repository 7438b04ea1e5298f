"""Every reading of one answer (a vague ask read with each sentence of its story) is encoded in one batch, and
the batch gives the vectors encoding each alone gives."""

from collections.abc import Sequence

import numpy as np

from bot.answer import Answerer


class CountingEncoder:
    """The real encoder, counting its calls and the texts of each."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.thread_safe = inner.thread_safe
        self.calls: list[int] = []

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        self.calls.append(len(texts))
        return self.inner.encode(texts, batch_size)


def test_a_vague_ask_and_its_story_are_encoded_in_one_batch(answerer) -> None:
    counting = CountingEncoder(answerer.encoder)
    a = Answerer(answerer.index, counting, answerer.rules, answerer.router, answerer.speller)
    message = (
        "We are moving the billing service to a new queue. The team argued about Kafka and SQS all week. "
        "Half of us like managed services. Who should make that call?"
    )
    ans = a.answer(message)
    assert counting.calls == [3]  # the ask (its last two sentences) alone, then with each of the two before it
    assert ans == answerer.answer(message)  # the same answer as the Answerer encoding with the same model


def test_batched_vectors_are_those_of_one_at_a_time(answerer) -> None:
    asks = ["who should make that call?", "The team argued about Kafka and SQS all week. who should make that call?"]
    together = answerer.readings(asks, "")
    for ask, reading in zip(asks, together, strict=True):
        alone = answerer.read(ask, "")
        assert float(alone.vec @ reading.vec) > 0.99999
        assert [h.chunk_id for h in alone.hits] == [h.chunk_id for h in reading.hits]

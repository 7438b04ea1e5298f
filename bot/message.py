"""A chat message split into the sentence that asks and the story around it.

People tell a story first and ask last ("we're 5 people… the PM is swamped… who decides X?"). The sentence that
asks names the decision; the story only sets context (company size, Scrum or not, how many teams), so the
decision area is read from the ask and the modifiers from the whole message. An ask that only points back
("who decides this?", "is that a PO or a PM?") borrows the sentence before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.textutil import FRAME_WORDS, STOPWORDS, words

# Sentence ends, line breaks, emoji and dashes between clauses all separate what people write in chat.
_BREAK = re.compile(
    r"(?<=[.?!])[\"')\]]*\s+"  # . ? ! then space
    r"|\s*\n+\s*"  # line breaks
    r"|\s+[—–]\s+|\s+-{1,2}\s+"  # a dash between clauses
    r"|(?<=[\w)])[:;]\s+"  # "tiny thing: should …", "side q: who …", "Raj (PM) vs Lea (PO): who …"
    r"|,\s+(?=(?:who|whose|who's|which\s+of)\b)"  # "the readout is at 10, who's ordering the bagels?"
    r"|,?\s+(?:but|so|and|then)\s+(?=(?:who|whose|who's|which)\b)"  # "the PM is busy, so who tells us…?"
    r"|\s*[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF]+\uFE0F?\s*"  # emoji
)
# A sentence that asks about who decides, owns or should do something.
_ASKS = re.compile(
    r"\b(who|whom|whose|who's|whos|which\s+(?:of\s+(?:you|us|them|the\s+two)|role|one|person|product\s+person)|"
    r"is\s+(?:that|this|it)\s+(?:a|an|the|our|their)?\s*(?:po|pm|product|dev|eng|team)\w*|"
    r"(?:po|pm|product\s+owner|product\s+manager)\s+or\s+(?:the\s+)?(?:po|pm|product\s+owner|product\s+manager|"
    r"team|devs?|eng\w*)|(?:product|eng\w*|dev|team)\s+(?:call|decision|question|thing)|our\s+call|"
    r"whose\s+call|do\s+we\s+(?:have\s+to\s+)?(?:wait|ask|need)|should\s+(?:we|i|the|it|that|this))\b",
    re.I,
)
_POINTS_BACK = frozenset("this that it these those them they its such".split())
# Verbs and fillers of an ask that name no decision ("who's supposed to handle that for us?").
_THIN = frozenset(
    """supposed meant going gonna wanna need needs needed ask asked answer answers handle handles deal sort
    know anyone anybody does really actually exactly even here around normally usually now rn tho though
    like just pls please hey hi ok okay q question side quick guys folks team us devs dev go talk ping ask
    contact reach turn rush urgent want wants wanted wondering curious loop""".split()
)


@dataclass(frozen=True)
class Message:
    text: str  # the whole message, white space folded
    ask: str  # the sentence(s) that ask: what the decision is read from
    sentences: tuple[str, ...]
    story: tuple[str, ...] = ()  # the sentences before the ask: read with it when it is vague (bot/answer.py)
    after: tuple[str, ...] = ()  # the sentences after it: "is this a PM thing? Budget review is next week…"

    @property
    def context(self) -> str:
        """The whole message: the modifiers read company size, Scrum and teams from the story too."""
        return self.text


def split_sentences(text: str) -> list[str]:
    parts = (p.strip(" ,") for p in _BREAK.split(text))
    return [p for p in parts if p and re.search(r"[^\W\d_]", p)]


# Words after which "who" still asks: fillers ("so who decides", "pls who owns") and the lead-ins of an indirect
# question ("nobody knows who sets that", see _LEAD_IN). After any other word it is a relative "who" ("our
# designer who helps with triage is out"), part of the story.
_ASK_LEADS = frozenset(
    """and but so then or pls plz please q question like just ok okay honestly basically now also anyway actually
    seriously lol tho though srsly know knows knew sure wonder wonders wondered wondering idea clue asked asking
    ask asks me us out unclear about""".split()
)
_WHO = frozenset("who whom whose who's whos".split())


def _asks_who(sentence: str) -> bool:
    """Asks about who decides: a question mark, or an asking phrase that is not a relative or indirect "who"."""
    if sentence.rstrip().endswith("?"):
        return bool(_ASKS.search(sentence))
    for m in _ASKS.finditer(sentence):
        if m.group(1).lower() not in _WHO:
            return True
        before = sentence[: m.start()].rstrip()
        if not before or not before[-1].isalnum() or before.split()[-1].lower() in _ASK_LEADS:
            return True
    return False


def asks(sentence: str) -> bool:
    return _asks_who(sentence) or sentence.rstrip().endswith("?")


def _content(sentence: str) -> list[str]:
    return [w for w in words(sentence) if w not in STOPWORDS and w not in FRAME_WORDS and w not in _THIN]


def is_vague(sentence: str) -> bool:
    """Names too little to be read alone: at most two content words, or a pointing word and at most four
    ("whose call is the tech?", "if the board turns into a mess, who's on the hook for it?")."""
    content = _content(sentence)
    return names_little(sentence) or (any(w in _POINTS_BACK for w in words(sentence)) and len(content) <= 4)


def names_little(sentence: str) -> bool:
    """At most two content words: "is this a PM thing?", "who should own it?"."""
    return len(_content(sentence)) <= 2


def points_back(sentence: str) -> bool:
    """An ask that names nothing itself: its decision is in the sentence before."""
    content = _content(sentence)
    return not content or (any(w in _POINTS_BACK for w in words(sentence)) and len(content) < 3)


# Chat emphasis around words ("Mo is our PO *and* PM", "_really_", "~old~"): the marks are not words. Only at
# word edges, so snake_case and "5*3" are left alone.
_EMPHASIS = re.compile(r"(?<![\w*_~])([*_~]{1,2})(?=\S)([^*_~\n]{1,80}?)(?<=\S)\1(?![\w*_~])")


def unmark(text: str) -> str:
    return _EMPHASIS.sub(r"\2", text)


# A sentence about a role holder's availability: the reason for asking, never the decision asked about.
_STATUS = re.compile(
    r"^\W*(?:(?:our|the|my|your)\s+)?(?:po|pm|product\s+owner|product\s+manager)\b(?:\s+[A-Z]\w+)?"
    r"\s+(?:is|'s|has\s+been|was|says|said|seems|feels)\b.{0,40}?\b(?:busy|swamped|heads[- ]down|out|away|off|sick|"
    r"on\s+leave|on\s+vacation|on\s+holiday|buried|drowning|slammed|unavailable|not\s+around|ooo|overloaded|"
    r"stretched|maxed)\b",
    re.I,
)


# "nobody on the team knows who sets that", "a new hire asked which of them…": the lead-in is not the question.
_LEAD_IN = re.compile(
    r"^.{0,120}?\b(?:knows?|knew|sure|wonder(?:s|ed|ing)?|tell\s+(?:me|us)|idea|clue|asked|asking|ask(?:s|ed)?\s+me|"
    r"figure\s+out|find\s+out|confused\s+about|unclear)\s+(?=(?:who|whose|who's|which\s+of)\b)",
    re.I,
)


def _without_lead_in(sentence: str) -> str:
    return _LEAD_IN.sub("", sentence, count=1)


# "not asking who fixes the bug technically", "this isn't about pricing": what the question is not about.
_NOT_THE_ASK = re.compile(
    r"^\W*(?:(?:i'?m|i\s+am|we'?re|this\s+is|it'?s|that'?s)\s+)?(?:not|n't)\s+(?:asking|about|talking|a\s+question)\b"
    r"|^\W*(?:this|it|that)\s+(?:isn'?t|is\s+not|'s\s+not)\s+about\b",
    re.I,
)


def _is_status(sentence: str) -> bool:
    return bool(_STATUS.search(sentence))


def _is_full_question(sentence: str) -> bool:
    """A question that names its decision: "who sets the price?", not "we have BAs who write stories"."""
    return sentence.rstrip().endswith("?") and bool(_ASKS.search(sentence)) and not is_vague(sentence)


# "POS terminals" is point of sale; the plural of PO is written "POs".
_POINT_OF_SALE = re.compile(r"\bPOS\b")


# Chat's quote mark: '> "we should copy Acme" who keeps tabs on Acme?' quotes someone else before asking. The
# quoted words are story, on a line of their own, never the ask's wording.
_BLOCKQUOTE = re.compile(r"(?m)^[ \t]*>[ \t]*([\"“][^\"”\n]{1,300}[\"”])[ \t]*(?=\S)")


def read_message(text: str) -> Message:
    text = _BLOCKQUOTE.sub(lambda m: m.group(1) + "\n", unmark(text))
    folded = " ".join(text.split())
    read = _POINT_OF_SALE.sub("point-of-sale", text)
    sentences = split_sentences(read) or [" ".join(read.split())]
    if len(sentences) == 1:
        return Message(folded, " ".join(read.split()), tuple(sentences))
    # The last sentence that asks "who" is the question; a bare "?" sentence only when none does.
    idx = next((i for i in range(len(sentences) - 1, -1, -1) if _asks_who(sentences[i])), None)
    if idx is None:
        idx = next((i for i in range(len(sentences) - 1, -1, -1) if asks(sentences[i])), len(sentences) - 1)
    elif is_vague(sentences[idx]):
        # An afterthought ("no rush, just want to know who to loop in") after the real question: take the question.
        idx = next((i for i in range(idx - 1, -1, -1) if _is_full_question(sentences[i])), idx)
    sentences[idx] = _without_lead_in(sentences[idx])
    start, borrowed = idx, [idx]
    while start > 0 and points_back(" ".join(sentences[i] for i in borrowed)):
        start -= 1
        # "The PO is heads-down all week." says who is busy, not what is asked: borrow past it.
        if not (_is_status(sentences[start]) and start > 0):
            borrowed.insert(0, start)
    ask = " ".join(sentences[i] for i in borrowed)
    # The story a vague ask is read with (bot/answer.py) leaves out what the ask says it is not about.
    story = tuple(s for s in sentences[:start] if not _NOT_THE_ASK.search(s))
    return Message(folded, ask, tuple(sentences), story, tuple(sentences[idx + 1 :]))

"""Team memory: a channel's (or workspace's) agreements on who decides, its named role holders and its context.

grammar parses what a team types, store keeps it (SQLAlchemy), matching tells whether a question asks about an
agreed decision, memory applies all of it to an answer, wording says it, export writes the decision-rights page.
"""

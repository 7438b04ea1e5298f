"""The Conversation's team-memory buttons, by name: renderers draw them and adapters hand them back."""

UNDO = "agreement.undo"
REMOVE = "agreement.remove"
RECORD = "agreement.record"  # the Record-as-our-agreement modal (Slack) or card form (Teams)

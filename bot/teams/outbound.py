"""Replies go to `{serviceUrl}/v3/conversations/{id}/activities`: the id must be one URL path segment.

The Teams SDK formats the id into the URL as it is, so an activity whose conversation id is
`../../../../evil/path?x=` made the bot post to `/evil/path?x=/activities` on the connector. Bot Framework's
own SDKs percent-encode the id; this wrapper around the SDK's ApiClient does the same for the calls our replies
make, and leaves the activity body (which carries the real id) untouched.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote


def segment(value: str) -> str:
    """One URL path segment: every character that could end or escape the segment is percent-encoded."""
    return quote(value, safe="")


class _EncodedConversations:
    def __init__(self, conversations: Any) -> None:
        self._conversations = conversations

    async def create_activity(self, conversation_id: str, activity: Any, **kwargs: Any) -> Any:
        return await self._conversations.create_activity(segment(conversation_id), activity, **kwargs)

    async def update_activity(self, conversation_id: str, activity_id: str, activity: Any, **kwargs: Any) -> Any:
        return await self._conversations.update_activity(
            segment(conversation_id), segment(activity_id), activity, **kwargs
        )

    async def create_targeted_activity(self, conversation_id: str, activity: Any, **kwargs: Any) -> Any:
        return await self._conversations.create_targeted_activity(segment(conversation_id), activity, **kwargs)

    async def update_targeted_activity(
        self, conversation_id: str, activity_id: str, activity: Any, **kwargs: Any
    ) -> Any:
        return await self._conversations.update_targeted_activity(
            segment(conversation_id), segment(activity_id), activity, **kwargs
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conversations, name)


class EncodedIdsApi:
    """The SDK's ApiClient, with conversation and activity ids encoded as path segments when sending."""

    def __init__(self, api: Any) -> None:
        self._api = api

    @property
    def conversations(self) -> _EncodedConversations:
        return _EncodedConversations(self._api.conversations)

    def clone(self, *args: Any, **kwargs: Any) -> EncodedIdsApi:
        return EncodedIdsApi(self._api.clone(*args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._api, name)

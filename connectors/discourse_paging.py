"""How Discourse's feeds are paged, and the checks that keep a pager from looping or losing.

Never trust the server to move: ``/posts.json?before=<id>`` is exclusive on current
Discourse, was inclusive on older versions (the ``before`` post comes back first), and a
proxy or plugin that drops the parameter serves the newest page again and again (one sync
read the same page 1,029 times). ``/post_action_users`` pages likers 200 at a time with a
0-based ``page`` (its ``limit`` may not exceed 200) in the order the likes were given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from connectors.errors import PermanentError

__all__ = ["LIKERS_PER_PAGE", "PagingStalled", "posts_below", "stalled_likers"]

SERVICE = "discourse"
#: Likers per ``/post_action_users`` page (Discourse's ``INDEX_LIMIT``, default and maximum).
LIKERS_PER_PAGE = 200

P = TypeVar("P")


class PagingStalled(PermanentError):
    """The server answered a page that brings nothing new: asking again would loop.

    What was read before it has been yielded; the cursor must not move past it.
    """


def posts_below(posts: Sequence[P], before: int | None, id_of: Callable[[P], int | None]) -> list[P]:
    """The posts of a ``before`` page that are new: ids below ``before`` (or unreadable ids,
    which the parser rejects with a reason).

    Returns ``[]`` at the end of an inclusive feed (the page holds nothing but the ``before``
    post itself). Raises `PagingStalled` when the page holds other posts but none below
    ``before``: the server ignored the parameter.
    """
    if before is None:
        return list(posts)
    ids = [id_of(p) for p in posts]
    if not any(i is not None and i < before for i in ids):
        known = {i for i in ids if i is not None}
        if known <= {before}:
            return []
        raise PagingStalled(
            SERVICE,
            f"/posts.json?before={before} answered posts {min(known)}..{max(known)}, none below "
            f"{before}: the server ignores `before`, so paging stopped instead of reading the same "
            "page again (check a proxy or plugin rewriting the query string)",
        )
    return [p for p, i in zip(posts, ids, strict=True) if i is None or i < before]


def stalled_likers(post_id: Any, page: int) -> PagingStalled:
    """Page ``page`` of a post's likers repeated the likers already read."""
    return PagingStalled(
        SERVICE,
        f"/post_action_users?id={post_id}&page={page} brought no liker not already read: the "
        "server ignores `page`, so paging stopped instead of reading the same likers again",
    )

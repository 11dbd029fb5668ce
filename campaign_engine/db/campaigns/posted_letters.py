"""Letters supporters say they posted ("I posted it"), counted per official: counts only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from campaign_engine.db.pool import Connection, from_row

# One more letter to each of the officials named ($2) that the action ($1) writes to; an id
# that is not one of them counts nothing. Returns the officials counted.
COUNT_POSTED = """
INSERT INTO letters_posted (action_id, target_id, day, letters)
SELECT DISTINCT at.action_id, at.target_id, $3::date, 1
FROM action_targets at
WHERE at.action_id = $1 AND at.target_id = ANY($2::bigint[])
ON CONFLICT (action_id, target_id, day) DO UPDATE SET letters = letters_posted.letters + 1
RETURNING target_id
"""


async def count_posted(conn: Connection, action_id: int, target_ids: list[int], day: date) -> int:
    """How many officials got one more letter counted."""
    return len(await conn.fetch(COUNT_POSTED, action_id, target_ids, day))


@dataclass(frozen=True)
class PostedLetters:
    target_id: int
    name: str
    letters: int
    last_day: date | None


# Every official the action writes to, with the letters counted for them (0 for none).
SELECT_POSTED = """
SELECT t.id AS target_id, t.name, coalesce(sum(p.letters), 0)::int AS letters,
       max(p.day) AS last_day
FROM targets t
LEFT JOIN letters_posted p ON p.target_id = t.id AND p.action_id = $1
WHERE t.id IN (SELECT target_id FROM action_targets WHERE action_id = $1)
GROUP BY t.id, t.name
ORDER BY lower(t.name), t.id
"""


async def list_posted(conn: Connection, action_id: int) -> list[PostedLetters]:
    return [from_row(PostedLetters, row) for row in await conn.fetch(SELECT_POSTED, action_id)]

-- When an action first opened (docs/impact.md): the impact pages count the time from a case's
-- first action to its outcome. Set on the first publication (now, or by its schedule), never
-- changed by a reopening. Actions opened before this migration take the best trace they left:
-- the moment their network alert fell due (less its delay), else their first signature, else
-- the time they were scheduled for, else their creation.
ALTER TABLE actions ADD COLUMN opened_at timestamptz;

UPDATE actions a
SET opened_at = coalesce(
    (SELECT n.due_at - n.delay FROM network_alerts n
     WHERE n.action_id = a.id AND n.due_at IS NOT NULL),
    (SELECT min(s.created_at) FROM signatures s WHERE s.action_id = a.id),
    a.publish_at,
    a.created_at)
WHERE a.status IN ('open', 'closed', 'archived', 'removed');

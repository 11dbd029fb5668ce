-- "Send from my own mailbox" (docs/letters.md): an action may offer supporters a mailto link
-- to each official it writes to by email, with a BCC to our relay tagged with that appeal.
-- When the BCC arrives the appeal is the supporter's own (by_supporter) and our relay does not
-- send it; until then (a day at most) the action's appeals by email wait for it.
ALTER TABLE actions ADD COLUMN own_mailbox boolean NOT NULL DEFAULT false;
ALTER TABLE deliveries ADD COLUMN by_supporter boolean NOT NULL DEFAULT false;

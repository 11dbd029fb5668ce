-- Alerting the network (docs/network.md, "Alerts"): publishing an action alerts every member
-- whose preferences match it, once, in the first language they read that it is published in.

-- What the campaigner chose for an action's alert, and how far it has gone. No row: the
-- default (alert on publication). `planned` until the action opens; then `due` until
-- `due_at` (the delay chosen), `fanning_out` while a worker writes one delivery per member
-- (in member id order, `reached` the last one written, in each batch's transaction, so a
-- fan-out cut short resumes after it), `done` once written; `skipped` when the campaigner
-- chose not to alert. One row per action: an action is published once, so alerted once.
CREATE TABLE network_alerts (
    action_id     bigint PRIMARY KEY REFERENCES actions ON DELETE CASCADE,
    alert         boolean NOT NULL DEFAULT true,          -- false: do not alert the network
    delay         interval NOT NULL DEFAULT '0' CHECK (delay >= '0' AND delay <= '7 days'),
    chosen_by     bigint REFERENCES staff,
    chosen_at     timestamptz,
    status        text NOT NULL DEFAULT 'planned'
                  CHECK (status IN ('planned', 'due', 'fanning_out', 'done', 'skipped')),
    due_at        timestamptz,                            -- set on publication
    reached       uuid,                                   -- the last member fanned out
    members       integer NOT NULL DEFAULT 0,             -- members looked at so far
    emails        integer NOT NULL DEFAULT 0,             -- alerts written so far
    started_at    timestamptz,
    touched_at    timestamptz,
    fanned_out_at timestamptz
);
CREATE INDEX network_alerts_unfinished ON network_alerts (due_at)
    WHERE status IN ('due', 'fanning_out');

ALTER TABLE deliveries DROP CONSTRAINT deliveries_kind_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_kind_check
    CHECK (kind IN ('confirmation', 'already_signed', 'appeal', 'digest', 'update', 'webhook',
                    'privacy_link', 'network_join', 'confirmation_reminder', 'network_alert'));

-- One alert per action, member and channel, whatever ran before (a resumed fan-out, two
-- racing); and a member's alerts of the last days, counted against their weekly cap. Both
-- on `kind`, which never changes, so neither stops a delivery's updates being HOT.
CREATE UNIQUE INDEX deliveries_one_alert ON deliveries (action_id, supporter_id, channel)
    WHERE kind = 'network_alert';
CREATE INDEX deliveries_alerts_by_member ON deliveries (supporter_id, created_at)
    WHERE kind = 'network_alert';

-- The network's weekly email (docs/network.md, "The weekly email"): members who chose it get,
-- once a week, the actions of the week past that match them, instead of an alert for each.

ALTER TABLE deliveries DROP CONSTRAINT deliveries_kind_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_kind_check
    CHECK (kind IN ('confirmation', 'already_signed', 'appeal', 'digest', 'update', 'webhook',
                    'privacy_link', 'network_join', 'confirmation_reminder', 'network_alert',
                    'network_weekly'));

-- One a week per member: `period_start` is the start of the week it tells of. On `kind`,
-- which never changes, so it keeps a delivery's updates HOT.
CREATE UNIQUE INDEX deliveries_one_weekly ON deliveries (supporter_id, period_start)
    WHERE kind = 'network_weekly';

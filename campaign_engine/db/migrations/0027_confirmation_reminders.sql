-- One reminder for a signature still unconfirmed a day after it was made (docs/design.md,
-- "Signing"): a kind of its own in the outbox, and an index that finds the day's unconfirmed
-- signatures without reading the confirmed millions.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_kind_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_kind_check
    CHECK (kind IN ('confirmation', 'already_signed', 'appeal', 'digest', 'update', 'webhook',
                    'privacy_link', 'network_join', 'confirmation_reminder'));
CREATE INDEX signatures_pending_by_time ON signatures (created_at) WHERE status = 'pending';

-- One reminder for a signature still unconfirmed a day after it was made (docs/network.md,
-- "Reminders and mistakes"): a kind of its own in the outbox. No index of its own: the
-- reminders are found through signatures_by_time, one open action at a time, and an index
-- whose condition names `status` would make every confirmation a non-HOT update.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_kind_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_kind_check
    CHECK (kind IN ('confirmation', 'already_signed', 'appeal', 'digest', 'update', 'webhook',
                    'privacy_link', 'network_join', 'confirmation_reminder'));

-- A supporter without a recent email asks for a fresh link to their data (docs/privacy.md):
-- the link goes out through the outbox like any other email, to the address we hold.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_kind_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_kind_check
    CHECK (kind IN ('confirmation', 'already_signed', 'appeal', 'digest', 'update', 'webhook',
                    'privacy_link'));

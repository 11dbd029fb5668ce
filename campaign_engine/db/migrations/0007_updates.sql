-- Updates to supporters: a case's update or outcome goes, once, to everyone who confirmed a
-- signature on one of its actions and still agrees to hear from us, by email and (where they
-- gave a phone and agreed to texts) by SMS.

-- Updates join the outbox, each tied to its event and its supporter.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_kind_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_kind_check
    CHECK (kind IN ('confirmation', 'already_signed', 'appeal', 'digest', 'update'));
ALTER TABLE deliveries
    -- Deleting an event leaves what was sent about it (a waiting send then finds nothing).
    ADD COLUMN case_event_id bigint REFERENCES case_events ON DELETE SET NULL,
    -- Erasing a supporter takes their messages with them.
    ADD COLUMN supporter_id  uuid REFERENCES supporters ON DELETE CASCADE;

-- One update per event, supporter and channel: a second send, a resumed fan-out or two
-- fan-outs racing insert nothing (the dedup_key says the same; this says it by column).
CREATE UNIQUE INDEX deliveries_one_update ON deliveries (case_event_id, supporter_id, channel)
    WHERE kind = 'update';

-- One send of one event: who started it, and how far its fan-out has gone. The fan-out walks
-- the audience in supporter id order and records, in the transaction of each batch, the last
-- supporter it reached, so a fan-out cut short resumes after it.
CREATE TABLE update_mailings (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id      bigint NOT NULL UNIQUE REFERENCES case_events ON DELETE CASCADE,
    started_by    bigint REFERENCES staff,
    started_at    timestamptz NOT NULL,
    status        text NOT NULL DEFAULT 'fanning_out' CHECK (status IN ('fanning_out', 'done')),
    reached       uuid,                            -- the last supporter fanned out; NULL: none
    emails        integer NOT NULL DEFAULT 0,      -- deliveries written so far, per channel
    texts         integer NOT NULL DEFAULT 0,
    touched_at    timestamptz NOT NULL,            -- the fan-out's last sign of life
    fanned_out_at timestamptz
);
CREATE INDEX update_mailings_unfinished ON update_mailings (touched_at)
    WHERE status = 'fanning_out';

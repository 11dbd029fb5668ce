-- Following a case without signing (docs/network.md, "Following a case"): anyone may ask for
-- a case's news by email; a link to their mailbox says yes (double opt-in), as joining the
-- network does, and its updates and outcome then reach them like its signers.

ALTER TABLE consent_texts DROP CONSTRAINT consent_texts_scope_check;
ALTER TABLE consent_texts ADD CONSTRAINT consent_texts_scope_check
    CHECK (scope IN ('updates', 'partner', 'sms', 'network', 'follow'));
ALTER TABLE consent_records DROP CONSTRAINT consent_records_scope_check;
ALTER TABLE consent_records ADD CONSTRAINT consent_records_scope_check
    CHECK (scope IN ('updates', 'partner', 'sms', 'network', 'follow'));

-- One row per case and supporter who asked: `pending` until they say yes through the link,
-- `left` once they stop. No personal column: the address stays in `supporters`.
CREATE TABLE case_followers (
    case_id         bigint NOT NULL REFERENCES cases ON DELETE CASCADE,
    supporter_id    uuid NOT NULL REFERENCES supporters ON DELETE CASCADE,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'left')),
    locale          text NOT NULL,        -- the language they asked in: their emails' language
    consent_text_id bigint NOT NULL REFERENCES consent_texts,  -- the sentence they ticked
    asked_at        timestamptz NOT NULL,
    joined_at       timestamptz,
    left_at         timestamptz,
    PRIMARY KEY (case_id, supporter_id)
);
CREATE INDEX case_followers_supporter_id ON case_followers (supporter_id);

-- The email that asks them to say yes names its case.
ALTER TABLE deliveries ADD COLUMN case_id bigint REFERENCES cases ON DELETE CASCADE;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_kind_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_kind_check
    CHECK (kind IN ('confirmation', 'already_signed', 'appeal', 'digest', 'update', 'webhook',
                    'privacy_link', 'network_join', 'confirmation_reminder', 'network_alert',
                    'network_weekly', 'follow_case'));

-- The Urgent Action Network (docs/network.md): supporters who asked to be alerted to new urgent
-- actions, and what they want to hear about.

-- Joining is agreed to with its own sentence, kept as every other consent is.
ALTER TABLE consent_texts DROP CONSTRAINT consent_texts_scope_check;
ALTER TABLE consent_texts ADD CONSTRAINT consent_texts_scope_check
    CHECK (scope IN ('updates', 'partner', 'sms', 'network'));
ALTER TABLE consent_records DROP CONSTRAINT consent_records_scope_check;
ALTER TABLE consent_records ADD CONSTRAINT consent_records_scope_check
    CHECK (scope IN ('updates', 'partner', 'sms', 'network'));

-- One row per supporter who asked to join. `pending` until they say yes on the page the
-- joining email links to (double opt-in: only then is the address proven theirs, and only then
-- is their consent recorded, with the wording the form showed them, kept here meanwhile);
-- `left` once they leave. A request asked again while pending takes the newer preferences; an
-- active member's change only through their own link. Nothing here names anyone: the address
-- stays in `supporters`.
CREATE TABLE members (
    supporter_id uuid PRIMARY KEY REFERENCES supporters ON DELETE CASCADE,
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'left')),
    locale       text NOT NULL,                 -- the language they joined in: its emails' language
    languages    text[] NOT NULL                -- languages they read, most preferred first
                 CHECK (cardinality(languages) BETWEEN 1 AND 6),
    countries    text[] NOT NULL DEFAULT '{}',  -- cases in these countries only; none: anywhere
    themes       text[] NOT NULL DEFAULT '{}',  -- these risk categories only; none: all of them
    frequency    text NOT NULL DEFAULT 'every' CHECK (frequency IN ('every', 'capped', 'weekly')),
    weekly_cap   smallint CHECK (weekly_cap BETWEEN 1 AND 20),
    consent_text_id bigint NOT NULL REFERENCES consent_texts,  -- the sentence they ticked
    asked_at     timestamptz NOT NULL,
    joined_at    timestamptz,
    left_at      timestamptz,
    CHECK ((frequency = 'capped') = (weekly_cap IS NOT NULL))
);
CREATE INDEX members_active ON members (supporter_id) WHERE status = 'active';

-- The joining email (a link to say yes) and, to an address already in the network, a link to
-- its preferences instead; both through the outbox, to the address we hold.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_kind_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_kind_check
    CHECK (kind IN ('confirmation', 'already_signed', 'appeal', 'digest', 'update', 'webhook',
                    'privacy_link', 'network_join'));

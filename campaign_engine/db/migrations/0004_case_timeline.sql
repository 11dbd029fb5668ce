-- A case's timeline as campaigners write it: outcomes from DESIGN's taxonomy, responses from
-- the authorities, updates and internal notes, each with its date and source, and its text in
-- each of the case's languages.

-- `body` stays what arrived for a reply (in the official's words); what campaigners write lives
-- in case_event_translations, one row per language.
ALTER TABLE case_events ALTER COLUMN body DROP NOT NULL;
ALTER TABLE case_events
    -- For kind 'outcome': released, charges_dropped, ... (domain/timeline.py keeps the list,
    -- so adding one is a code change, not a migration).
    ADD COLUMN outcome    text CHECK (outcome ~ '^[a-z][a-z_]*$'),
    ADD COLUMN source     text,  -- where we know it from: a link, a lawyer, a news report
    ADD COLUMN created_by bigint REFERENCES staff,
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT case_events_outcome_kind CHECK ((kind = 'outcome') = (outcome IS NOT NULL));

CREATE TABLE case_event_translations (
    event_id   bigint NOT NULL REFERENCES case_events ON DELETE CASCADE,
    locale     text NOT NULL CHECK (locale ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'),
    title      text NOT NULL DEFAULT '',
    body       text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, locale)
);

CREATE INDEX case_events_public ON case_events (case_id, occurred_at) WHERE published;

-- Solidarity messages (docs/solidarity.md): an action may ask those who signed it for a short
-- message to the person at risk or their family. The workspace moderates each: edits out what
-- could identify anyone, translates it into the family's language, approves or rejects it.
-- Approved ones print as cards and export for the family; a selection shows on the case page
-- once the family agrees.
ALTER TABLE actions ADD COLUMN asks_solidarity boolean NOT NULL DEFAULT false;
ALTER TABLE cases
    ADD COLUMN family_locale text,  -- the language the family reads; NULL: not known yet
    ADD COLUMN family_consents boolean NOT NULL DEFAULT false;  -- to show messages publicly

CREATE TABLE solidarity_messages (
    id                 bigserial PRIMARY KEY,
    action_id          bigint NOT NULL REFERENCES actions ON DELETE CASCADE,
    signature_id       uuid NOT NULL UNIQUE REFERENCES signatures ON DELETE CASCADE,
    locale             text NOT NULL,  -- the language of the page it was written on
    country            char(2) NOT NULL,  -- the signer's, as the card says where it came from
    -- As the supporter wrote it, sealed: it may say who they are (db/personal/sealed.py).
    -- NULL once the action's retention has forgotten who signed (an approved one stays).
    original_sealed    bytea,
    -- As approved: what could identify anyone edited out; then its translation.
    text               text,
    translation        text,
    translation_locale text,
    status             text NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'approved', 'rejected')),
    shown              boolean NOT NULL DEFAULT false,  -- among those on the case page
    written_at         timestamptz NOT NULL,
    moderated_at       timestamptz,
    moderated_by       bigint REFERENCES staff
);
CREATE INDEX solidarity_messages_action ON solidarity_messages (action_id, status, id);

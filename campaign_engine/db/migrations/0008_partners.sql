-- Partners: organisations that put an action on their own site. Their supporters' signatures
-- count towards the same total, attributed to them, with their own consent wording.

CREATE TABLE partners (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug            text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name            text NOT NULL,
    contact_email   text,                              -- who to call at the partner
    -- Origins (scheme://host[:port]) allowed to frame the widget and to post signatures
    -- from a browser; an origin never carries a path.
    allowed_origins text[] NOT NULL DEFAULT '{}',
    -- Public: it goes in the partner's embed snippet and names the partner to the loader.
    embed_key       text NOT NULL UNIQUE,
    disabled_at     timestamptz,                       -- a disabled partner embeds nothing
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- The sentence a partner's supporters agree to, in each language (the signing form shows it
-- beside the partner's opt-in box; its exact version lands in consent_texts when agreed to).
CREATE TABLE partner_consent_texts (
    partner_id bigint NOT NULL REFERENCES partners ON DELETE CASCADE,
    locale     text NOT NULL CHECK (locale ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'),
    text       text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (partner_id, locale)
);

-- Attribution: the partner whose page the signature came from, and the campaign tags
-- (utm_source, utm_medium, utm_campaign, utm_term, utm_content) of the page that embedded it.
ALTER TABLE signatures
    ADD COLUMN partner_id bigint REFERENCES partners,
    ADD COLUMN utm jsonb;
CREATE INDEX signatures_partner ON signatures (partner_id, action_id) WHERE partner_id IS NOT NULL;
ALTER TABLE consent_records ADD COLUMN partner_id bigint REFERENCES partners;

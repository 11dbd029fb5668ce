-- Alerts by text (docs/network.md, "Texts"): a member may give a mobile number for the most
-- urgent alerts. It becomes theirs to be texted only when they answer YES to the text we send
-- it (double opt-in by text, after the address was proven by email); an alert by text can
-- then be answered YES to sign with the name they last signed with.

-- Texting members is agreed to with its own sentence, kept as every other consent is.
ALTER TABLE consent_texts DROP CONSTRAINT consent_texts_scope_check;
ALTER TABLE consent_texts ADD CONSTRAINT consent_texts_scope_check
    CHECK (scope IN ('updates', 'partner', 'sms', 'network', 'follow', 'network_texts'));
ALTER TABLE consent_records DROP CONSTRAINT consent_records_scope_check;
ALTER TABLE consent_records ADD CONSTRAINT consent_records_scope_check
    CHECK (scope IN ('updates', 'partner', 'sms', 'network', 'follow', 'network_texts'));

-- `texts`: 'none' (no number), 'pending' (a number given, its YES not yet received) or
-- 'active'. The number is sealed like every phone we hold; its keyed hash finds the member a
-- text to our number comes from. A number texts for one member at a time: the one who last
-- answered YES from it.
ALTER TABLE members
    ADD COLUMN phone_sealed          bytea,
    ADD COLUMN phone_key             bytea,
    ADD COLUMN texts                 text NOT NULL DEFAULT 'none'
                                     CHECK (texts IN ('none', 'pending', 'active')),
    ADD COLUMN texts_consent_text_id bigint REFERENCES consent_texts,  -- the sentence ticked
    ADD COLUMN texts_asked_at        timestamptz,
    ADD CONSTRAINT members_texts_have_a_number
        CHECK ((texts = 'none') = (phone_sealed IS NULL)
               AND (phone_sealed IS NULL) = (phone_key IS NULL)
               AND (phone_sealed IS NULL) = (texts_consent_text_id IS NULL));
CREATE UNIQUE INDEX members_one_texting_number ON members (phone_key) WHERE texts = 'active';
CREATE INDEX members_by_phone_key ON members (phone_key) WHERE phone_key IS NOT NULL;

-- The campaigner chooses, per alert, whether it is urgent enough to go by text too (texts
-- cost money, and a member asked for the most urgent only); `texts` counts those written.
ALTER TABLE network_alerts
    ADD COLUMN by_text boolean NOT NULL DEFAULT false,
    ADD COLUMN texts   integer NOT NULL DEFAULT 0;

-- The text asking a member's number to answer YES.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_kind_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_kind_check
    CHECK (kind IN ('confirmation', 'already_signed', 'appeal', 'digest', 'update', 'webhook',
                    'privacy_link', 'network_join', 'confirmation_reminder', 'network_alert',
                    'network_weekly', 'follow_case', 'network_texts'));

-- The first schema: cases and their urgent actions in many languages, the officials they
-- address, supporters and their signatures, evidence of consent, and the delivery outbox.
-- Core PostgreSQL only (15+): no extensions, so any managed or embedded server will do.

-- A case is the person or group at risk, and their story over time.
CREATE TABLE cases (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug          text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    country       char(2) CHECK (country ~ '^[A-Z]{2}$'),  -- NULL: not one country (or fictional)
    risk_category text NOT NULL DEFAULT 'other',
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    default_locale text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE case_translations (
    case_id    bigint NOT NULL REFERENCES cases ON DELETE CASCADE,
    locale     text NOT NULL CHECK (locale ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'),
    title      text NOT NULL,
    person     text NOT NULL,
    summary    text NOT NULL,
    body       text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (case_id, locale)
);

-- An urgent action is one appeal for a case: `UA 123/26`, or a follow-up `FI 1 on UA 123/26`.
CREATE TABLE actions (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id        bigint NOT NULL REFERENCES cases,
    slug           text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    code           text NOT NULL UNIQUE,
    status         text NOT NULL DEFAULT 'draft'
                   CHECK (status IN ('draft', 'scheduled', 'open', 'closed', 'archived', 'removed')),
    deadline       timestamptz,
    goal           integer NOT NULL DEFAULT 0 CHECK (goal >= 0),
    default_locale text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX actions_case_id ON actions (case_id);

-- What supporters read and what the model letter says, per language. A locale appears on the
-- public site only once it is published.
CREATE TABLE action_translations (
    action_id      bigint NOT NULL REFERENCES actions ON DELETE CASCADE,
    locale         text NOT NULL CHECK (locale ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'),
    title          text NOT NULL,
    summary        text NOT NULL,
    body           text NOT NULL,
    letter_subject text NOT NULL,
    letter_body    text NOT NULL,
    share_text     text NOT NULL,
    published      boolean NOT NULL DEFAULT false,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (action_id, locale)
);

-- Confirmed signatures are counted in a few rows per action, not one: a confirmation adds one
-- to the shard its signature's id picks, so a surge of confirmations does not queue behind a
-- single hot row.
CREATE TABLE action_counts (
    action_id bigint NOT NULL REFERENCES actions ON DELETE CASCADE,
    shard     smallint NOT NULL,
    confirmed bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (action_id, shard)
);

-- A decision-maker, reusable across actions.
CREATE TABLE targets (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    external_id      text UNIQUE,
    name             text NOT NULL,
    title            text NOT NULL DEFAULT '',
    organisation     text NOT NULL DEFAULT '',
    country          char(2) CHECK (country ~ '^[A-Z]{2}$'),
    time_zone        text NOT NULL DEFAULT 'UTC',
    office_hours     jsonb,  -- NULL: messages may arrive at any hour
    preferred_locale text NOT NULL,
    salutations      jsonb NOT NULL DEFAULT '{}',  -- locale -> how a letter opens
    notes            text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE target_contacts (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    target_id bigint NOT NULL REFERENCES targets ON DELETE CASCADE,
    channel   text NOT NULL CHECK (channel IN ('email', 'sms')),
    address   text NOT NULL,  -- an email address, or a phone number in E.164
    status    text NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'bouncing', 'blocked')),
    UNIQUE (target_id, channel, address)
);

-- Who an action addresses, on which channel.
CREATE TABLE action_targets (
    action_id bigint NOT NULL REFERENCES actions ON DELETE CASCADE,
    target_id bigint NOT NULL REFERENCES targets,
    channel   text NOT NULL CHECK (channel IN ('email', 'sms')),
    PRIMARY KEY (action_id, target_id, channel)
);
CREATE INDEX action_targets_target_id ON action_targets (target_id);

-- Personal data lives in two tables only, `supporters` and `signer_details`, and only
-- campaign_engine/db/supporters.py reads or writes them.
--
-- One person, found by canonical email (see domain/supporters.canonical_email).
CREATE TABLE supporters (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email           text NOT NULL,
    email_canonical text NOT NULL UNIQUE,
    locale          text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_signed_at  timestamptz NOT NULL DEFAULT now()
);

-- A supporter's act on one action. Kept lean: this is the table a surge writes to.
CREATE TABLE signatures (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    action_id    bigint NOT NULL REFERENCES actions,
    supporter_id uuid NOT NULL REFERENCES supporters,
    status       text NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'confirmed', 'invalidated', 'erased')),
    locale       text NOT NULL,
    country      char(2) NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    source       text,
    partner      text,
    client_key   bytea,  -- keyed hash of the client address, never the address itself
    created_at   timestamptz NOT NULL DEFAULT now(),
    confirmed_at timestamptz,
    UNIQUE (action_id, supporter_id)
);
CREATE INDEX signatures_supporter_id ON signatures (supporter_id);

-- What the signer typed for this signature: the name to sign with, a phone, a message.
CREATE TABLE signer_details (
    signature_id uuid PRIMARY KEY REFERENCES signatures ON DELETE CASCADE,
    name         text NOT NULL,
    phone        text,
    comment      text
);

-- The exact wording a supporter was shown when they agreed to something, per language.
CREATE TABLE consent_texts (
    id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope  text NOT NULL CHECK (scope IN ('updates', 'partner', 'sms')),
    locale text NOT NULL,
    digest text NOT NULL,  -- sha256 of text: the version
    text   text NOT NULL,
    UNIQUE (scope, locale, digest)
);

-- Append-only evidence of consent: who, to what, with which wording, when, from where.
CREATE TABLE consent_records (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    supporter_id    uuid NOT NULL REFERENCES supporters,
    signature_id    uuid REFERENCES signatures,
    scope           text NOT NULL CHECK (scope IN ('updates', 'partner', 'sms')),
    granted         boolean NOT NULL,
    consent_text_id bigint NOT NULL REFERENCES consent_texts,
    source          text,
    partner         text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consent_records_supporter_id ON consent_records (supporter_id);

-- The outbox: one row per message that should go out. PostgreSQL is the truth; the queue only
-- wakes a worker, and the sweeper re-wakes anything the queue lost. `dedup_key` makes a second
-- attempt to create the same message a no-op.
CREATE TABLE deliveries (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    dedup_key       text NOT NULL UNIQUE,
    kind            text NOT NULL CHECK (kind IN ('confirmation', 'already_signed')),
    channel         text NOT NULL CHECK (channel IN ('email', 'sms')),
    signature_id    uuid REFERENCES signatures,
    target_id       bigint REFERENCES targets,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'retry', 'ambiguous', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz,
    last_error      text,  -- an error class and code, never an address
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX deliveries_unfinished ON deliveries (next_attempt_at)
    WHERE status IN ('pending', 'sending', 'retry', 'ambiguous');
CREATE INDEX deliveries_signature_id ON deliveries (signature_id);

-- API keys: how scripts and partners read the JSON API v1. The secret is shown once, when the
-- key is made; we keep only its first characters (to recognise it in a list) and its sha256.
-- A key with a partner reads only that partner's own opted-in signers; without one it is the
-- organisation's own key.

CREATE TABLE api_keys (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    partner_id   bigint REFERENCES partners,
    scopes       text[] NOT NULL
                 CHECK (scopes <@ ARRAY['actions:read', 'cases:read', 'signatures:read']
                        AND cardinality(scopes) > 0),
    prefix       text NOT NULL UNIQUE CHECK (prefix ~ '^[A-Za-z0-9]{8}$'),
    secret_hash  bytea NOT NULL,                       -- sha256 of the whole key
    created_by   bigint REFERENCES staff,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

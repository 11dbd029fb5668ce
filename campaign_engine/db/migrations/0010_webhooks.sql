-- Webhooks: the organisation and its partners register HTTPS endpoints, subscribe them to
-- events, and receive each event as a signed POST (Standard Webhooks) sent from the outbox.

CREATE TABLE webhook_endpoints (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id           bigint REFERENCES partners ON DELETE CASCADE,  -- NULL: the organisation
    -- https, or http to localhost/127.0.0.1 outside production (checked by the workspace form).
    url                  text NOT NULL CHECK (url ~ '^https?://'),
    -- `whsec_` + base64 of 24 random bytes, as Standard Webhooks' libraries expect.
    secret               text NOT NULL CHECK (secret ~ '^whsec_'),
    events               text[] NOT NULL CHECK (
        cardinality(events) > 0 AND events <@ ARRAY['signature.confirmed', 'action.published',
                                                    'action.closed', 'outcome.recorded']),
    enabled              boolean NOT NULL DEFAULT true,
    disabled_reason      text,          -- 'failing' (by the worker) or 'manual' (by a campaigner)
    consecutive_failures integer NOT NULL DEFAULT 0,  -- failed attempts since the last success
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_partner ON webhook_endpoints (partner_id);

-- What happened, once; its payload holds ids and public facts only (never a name or address).
CREATE TABLE webhook_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type       text NOT NULL CHECK (type IN ('signature.confirmed', 'action.published',
                                             'action.closed', 'outcome.recorded')),
    payload    jsonb NOT NULL,
    -- An event that must be told once (an outcome published, unpublished and published again).
    dedup_key  text UNIQUE,
    created_at timestamptz NOT NULL
);

-- Webhooks join the outbox: one delivery per endpoint and event, on the 'webhook' channel.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_kind_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_kind_check
    CHECK (kind IN ('confirmation', 'already_signed', 'appeal', 'digest', 'update', 'webhook'));
ALTER TABLE deliveries DROP CONSTRAINT deliveries_channel_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_channel_check
    CHECK (channel IN ('email', 'sms', 'webhook'));
ALTER TABLE deliveries
    ADD COLUMN webhook_endpoint_id bigint REFERENCES webhook_endpoints ON DELETE CASCADE,
    ADD COLUMN webhook_event_id    bigint REFERENCES webhook_events ON DELETE CASCADE;
CREATE UNIQUE INDEX deliveries_one_webhook ON deliveries (webhook_endpoint_id, webhook_event_id)
    WHERE kind = 'webhook';

-- The delivery log: every attempt, with what the receiver answered (or the error's class).
CREATE TABLE webhook_attempts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id uuid NOT NULL REFERENCES deliveries ON DELETE CASCADE,
    endpoint_id bigint NOT NULL REFERENCES webhook_endpoints ON DELETE CASCADE,
    attempt     integer NOT NULL,
    at          timestamptz NOT NULL,
    status_code integer,          -- NULL: no answer (timeout, connection refused)
    error       text,             -- the error's class, or the HTTP status's meaning
    duration_ms integer NOT NULL
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, at DESC);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id);

-- A batch of signatures goes to PostgreSQL as one array of these (db/personal/supporters.py,
-- SIGN_BATCH): what each signer typed, already sealed, and what the sign flow decided before
-- writing. A composite type, because a signer's email domain keys are an array of their own,
-- which parallel arrays cannot carry. Change it with the statement that reads it.
CREATE TYPE signer_row AS (
    ord               integer,
    signature_id      uuid,
    action_id         bigint,
    email_sealed      bytea,
    email_key         bytea,
    locale            text,
    country           text,
    source            text,
    partner           text,
    partner_id        bigint,
    utm               text,
    client_key        bytea,
    per_minute        integer,  -- the client's limits on the action (0: none)
    per_hour          integer,
    anonymous         boolean,
    email_domain_keys bytea[],
    suspicion         text,
    name_sealed       bytea,
    phone_sealed      bytea,
    comment_sealed    bytea,
    confirmation_key  text
);

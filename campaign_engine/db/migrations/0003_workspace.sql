-- The workspace: the campaigners who run it, their sessions, and the record of what they did.

-- A campaigner, with one role. An account exists before its password: an invitation link
-- (staff_invitations) lets its owner choose one, and enrol a second factor.
CREATE TABLE staff (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email          text NOT NULL UNIQUE CHECK (email = lower(email)),
    name           text NOT NULL,
    role           text NOT NULL
                   CHECK (role IN ('owner', 'admin', 'campaigner', 'translator', 'viewer')),
    locale         text NOT NULL DEFAULT 'en',        -- the language the workspace speaks to them
    password_hash  text,                               -- argon2id; NULL until they choose one
    totp_secret    text,                               -- NULL: no second factor enrolled
    totp_last_step bigint,                             -- a code works once: the last step used
    disabled_at    timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Server-side sessions: the cookie holds a random token, this table its SHA-256, so a leaked
-- table opens nothing. A session is 'verified' once every factor its account needs was shown.
CREATE TABLE staff_sessions (
    token_hash   bytea PRIMARY KEY,
    staff_id     bigint NOT NULL REFERENCES staff ON DELETE CASCADE,
    verified     boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    ended_at     timestamptz                           -- signed out, or revoked
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id) WHERE ended_at IS NULL;

-- One-time links that let someone choose a password (a new account, or a reset by an admin).
CREATE TABLE staff_invitations (
    token_hash bytea PRIMARY KEY,
    staff_id   bigint NOT NULL REFERENCES staff ON DELETE CASCADE,
    created_by bigint REFERENCES staff,                -- NULL: the command line
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);

-- Password checks, for throttling: keyed by a keyed hash of the address typed (whether or not
-- an account has it, so the limit itself reveals nothing) and of the client's address.
CREATE TABLE sign_in_attempts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_key bytea NOT NULL,
    client_key  bytea,
    at          timestamptz NOT NULL
);
CREATE INDEX sign_in_attempts_account ON sign_in_attempts (account_key, at);
CREATE INDEX sign_in_attempts_client ON sign_in_attempts (client_key, at);

-- Who did what, when: every change, publication, export and sign-in. Append-only.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id    bigint REFERENCES staff,               -- NULL: the system or the command line
    verb        text NOT NULL,                         -- 'staff.invited', 'action.published', …
    object_type text,
    object_id   text,
    detail      jsonb NOT NULL DEFAULT '{}',
    at          timestamptz NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, at DESC);

-- Privacy (docs/privacy.md): erasure, retention, and client keys that do not outlive the
-- abuse window.

-- A signature outlives its signer: erased (by request) or anonymised (by retention), it keeps
-- its action, country, language and times, for the counts and charts, and never who signed.
ALTER TABLE signatures ALTER COLUMN supporter_id DROP NOT NULL;
ALTER TABLE signatures ADD COLUMN anonymised_at timestamptz;

-- Retention counts from when an action closed.
ALTER TABLE actions ADD COLUMN closed_at timestamptz;
UPDATE actions SET closed_at = least(coalesce(deadline, updated_at), updated_at)
WHERE status IN ('closed', 'archived', 'removed');

-- Each erasure, kept without the person: a keyed hash of the address (so a backup restored
-- later can be erased again), who asked, and how many signatures it took.
CREATE TABLE erasures (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email_key    bytea NOT NULL,
    requested_by text NOT NULL CHECK (requested_by IN ('supporter', 'campaigner')),
    staff_id     bigint REFERENCES staff,
    signatures   integer NOT NULL,
    erased_at    timestamptz NOT NULL
);
CREATE INDEX erasures_email_key ON erasures (email_key);

-- Finding what the retention job and the client-key sweep must still do, without a scan.
CREATE INDEX signatures_not_anonymised ON signatures (action_id) WHERE anonymised_at IS NULL;
CREATE INDEX signatures_client_key_age ON signatures (created_at) WHERE client_key IS NOT NULL;

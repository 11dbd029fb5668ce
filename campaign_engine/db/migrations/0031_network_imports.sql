-- Bringing an existing network in (docs/network.md, "Importing a network"): a CSV file's
-- checked rows, held while the campaigner reads the preview, applied once within the hour.
-- The rows hold addresses: they are sealed, in one value, like every address we keep.
CREATE TABLE network_imports (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id    bigint NOT NULL REFERENCES staff ON DELETE CASCADE,  -- only they may apply it
    rows_sealed bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    applied_at  timestamptz
);
CREATE INDEX network_imports_created_at ON network_imports (created_at);

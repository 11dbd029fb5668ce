-- Targets imported from a spreadsheet. An uploaded file is checked row by row and its valid
-- rows are held here between the preview and the campaigner's go-ahead: nothing is written to
-- `targets` before they say so, and what they apply is exactly what they were shown.
CREATE TABLE target_imports (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id   bigint NOT NULL REFERENCES staff ON DELETE CASCADE,  -- only they may apply it
    rows       jsonb NOT NULL,           -- the checked rows, as domain/target_import.py reads them
    created_at timestamptz NOT NULL,     -- a preview goes stale after an hour
    applied_at timestamptz               -- NULL: not applied; applied once at most
);
-- Old previews are cleared when the next file is uploaded.
CREATE INDEX target_imports_created_at ON target_imports (created_at);

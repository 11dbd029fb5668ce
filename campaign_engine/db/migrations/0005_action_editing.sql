-- Editing urgent actions in the workspace: publication at a chosen time, the time zone the
-- campaigner wrote times in, and what tells a translation it has fallen behind its source.

ALTER TABLE actions
    -- A scheduled action opens once this moment passes (workers/schedules.py, every 15 s).
    ADD COLUMN publish_at timestamptz,
    -- The time zone the deadline and the publication time were typed in, so the form shows
    -- them back as the campaigner wrote them. Times themselves are stored as instants.
    ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC';

CREATE INDEX actions_due_to_open ON actions (publish_at) WHERE status = 'scheduled';
CREATE INDEX actions_due_to_close ON actions (deadline) WHERE status = 'open';

-- `updated_at` also moves when a language is published or unpublished; these move with the
-- words only. A translation is outdated when its source's words changed after the version of
-- them it was written from (`source_seen_at`; NULL: written before we kept track, or it is the
-- source itself).
ALTER TABLE action_translations
    ADD COLUMN text_updated_at timestamptz,
    ADD COLUMN source_seen_at timestamptz;
UPDATE action_translations SET text_updated_at = updated_at;
ALTER TABLE action_translations
    ALTER COLUMN text_updated_at SET NOT NULL,
    ALTER COLUMN text_updated_at SET DEFAULT now();

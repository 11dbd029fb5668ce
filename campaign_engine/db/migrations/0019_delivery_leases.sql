-- Who holds a claimed row, and whether that worker still lives: a worker that dies mid-send
-- leaves rows its successor takes back within seconds, instead of waiting out the lease.
--
-- Each worker process registers here at start and, on a connection of its own, holds the
-- session advisory lock (WORKER_LOCK_SPACE, lock_key) for as long as it lives, and beats
-- (seen_at) every second. A worker is presumed dead only when both have stopped: PostgreSQL
-- frees the lock the moment the process's connection closes, and a beat older than a few
-- seconds says it did not reconnect. host and pid are for the humans reading this table.
CREATE TABLE workers (
    id         uuid PRIMARY KEY,
    lock_key   integer GENERATED ALWAYS AS IDENTITY UNIQUE,
    host       text NOT NULL,
    pid        integer NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    seen_at    timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE deliveries
    -- The worker holding the row's lease (workers.id), set only while it is leased. No
    -- foreign key: a dead worker's registration goes while its rows are taken back.
    ADD COLUMN leased_by uuid,
    -- When the row's text was last handed to Twilio, written before the call: any later
    -- attempt looks for that text at Twilio first, and sends only if it is not there.
    ADD COLUMN text_attempted_at timestamptz;

-- What the reclaim reads: the rows being sent, by who holds them.
CREATE INDEX deliveries_leased_by ON deliveries (leased_by) WHERE status = 'sending';

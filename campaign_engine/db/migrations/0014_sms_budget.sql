-- Texts sent per UTC day and per number (a keyed hash of it, never the number): the budgets
-- that keep SMS pumping from spending the organisation's money (docs/abuse.md).
CREATE TABLE sms_counts (
    day        date NOT NULL,
    number_key bytea NOT NULL,
    sent       integer NOT NULL,
    PRIMARY KEY (day, number_key)
);

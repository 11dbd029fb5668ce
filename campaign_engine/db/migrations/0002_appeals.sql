-- Appeals to decision-makers: how each action reaches its targets, how fast each target may be
-- written to, the appeals themselves in the outbox, and the case timeline their replies join.

-- How hard an official's inbox or phone may be pressed, per channel. NULL: no cap.
ALTER TABLE targets
    ADD COLUMN max_per_hour integer CHECK (max_per_hour > 0),
    ADD COLUMN max_per_day integer CHECK (max_per_day > 0);

-- office_hours, when not NULL: {"weekdays": [1, 2, 3, 4, 5], "start": "09:00", "end": "17:00"}
-- (ISO weekdays, local times in the target's time_zone).

ALTER TABLE actions
    -- Pausing stops every appeal of the action at once; resuming picks up without a burst.
    ADD COLUMN delivery_paused boolean NOT NULL DEFAULT false,
    -- Where a target's reply goes: our relay address (a supporter writing to a repressive
    -- government must not expose theirs), or the supporter's own address.
    ADD COLUMN reply_to text NOT NULL DEFAULT 'relay' CHECK (reply_to IN ('relay', 'supporter'));

-- How an action reaches its targets on each channel.
CREATE TABLE action_channels (
    action_id     bigint NOT NULL REFERENCES actions ON DELETE CASCADE,
    channel       text NOT NULL CHECK (channel IN ('email', 'sms')),
    mode          text NOT NULL DEFAULT 'per_signature'
                  CHECK (mode IN ('per_signature', 'digest', 'none')),
    digest_every  interval NOT NULL DEFAULT '1 day' CHECK (digest_every >= interval '1 hour'),
    digest_format text NOT NULL DEFAULT 'list' CHECK (digest_format IN ('list', 'csv')),
    -- The slowest an action's appeals may trickle to one target, however far the deadline.
    min_per_hour  integer NOT NULL DEFAULT 60 CHECK (min_per_hour > 0),
    PRIMARY KEY (action_id, channel)
);

-- A signer may send their appeal without their name (it then says where they wrote from).
ALTER TABLE signatures ADD COLUMN anonymous boolean NOT NULL DEFAULT false;

-- Appeals join the outbox. A held appeal is 'scheduled' until the pacer releases it.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_kind_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_kind_check
    CHECK (kind IN ('confirmation', 'already_signed', 'appeal', 'digest'));
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
    CHECK (status IN ('scheduled', 'pending', 'sending', 'retry', 'ambiguous',
                      'sent', 'delivered', 'failed', 'bounced'));
ALTER TABLE deliveries
    ADD COLUMN action_id    bigint REFERENCES actions,
    ADD COLUMN contact_id   bigint REFERENCES target_contacts,
    ADD COLUMN period_start timestamptz,  -- a digest's period
    ADD COLUMN released_at  timestamptz,  -- when the pacer let it go
    ADD COLUMN provider_id  text,         -- Twilio's message sid
    ADD COLUMN delivered_at timestamptz;

-- One appeal per signature, target and channel; one digest per action, target, channel, period.
CREATE UNIQUE INDEX deliveries_one_appeal ON deliveries (signature_id, target_id, channel)
    WHERE kind = 'appeal';
CREATE UNIQUE INDEX deliveries_one_digest ON deliveries (action_id, target_id, channel, period_start)
    WHERE kind = 'digest';
-- What the pacer reads: releases per target and channel, and what it still holds.
CREATE INDEX deliveries_released ON deliveries (target_id, channel, released_at)
    WHERE released_at IS NOT NULL;
CREATE INDEX deliveries_held ON deliveries (target_id, channel, created_at)
    WHERE status = 'scheduled';
CREATE INDEX deliveries_action ON deliveries (action_id) WHERE action_id IS NOT NULL;
CREATE UNIQUE INDEX deliveries_provider_id ON deliveries (provider_id) WHERE provider_id IS NOT NULL;

-- The pacer's memory, per target and channel: when it last let an appeal go, and when it
-- should look again (NULL: nothing held).
CREATE TABLE pacing (
    target_id       bigint NOT NULL REFERENCES targets ON DELETE CASCADE,
    channel         text NOT NULL CHECK (channel IN ('email', 'sms')),
    last_release_at timestamptz,
    next_run_at     timestamptz,
    PRIMARY KEY (target_id, channel)
);
CREATE INDEX pacing_due ON pacing (next_run_at) WHERE next_run_at IS NOT NULL;

-- A case's story: replies from officials, outcomes, updates, notes.
CREATE TABLE case_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id     bigint NOT NULL REFERENCES cases ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('reply', 'outcome', 'update', 'note')),
    occurred_at timestamptz NOT NULL,
    channel     text CHECK (channel IN ('email', 'sms')),
    target_id   bigint REFERENCES targets,
    action_id   bigint REFERENCES actions,
    sender      text,          -- who wrote (an official's address or number), never a supporter
    subject     text,
    body        text NOT NULL,
    source_ref  text UNIQUE,   -- the provider's id for what arrived: a replay records nothing new
    published   boolean NOT NULL DEFAULT false,  -- a reply stays internal until a campaigner says
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_events_case ON case_events (case_id, occurred_at);

-- Numbers that texted STOP, as keyed hashes: checked before any text to a supporter, and no
-- phone number is kept for it.
CREATE TABLE sms_opt_outs (
    phone_key    bytea PRIMARY KEY,
    opted_out_at timestamptz NOT NULL
);

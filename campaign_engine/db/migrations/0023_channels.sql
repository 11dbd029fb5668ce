-- The channels a message may travel by, one row each, added by the migration that comes with
-- the channel's module (domain/delivery/channels/). Every column that names a channel refers
-- to this table instead of repeating the list in its own CHECK, so adding a channel is one
-- INSERT here, not seven constraints rewritten (docs/design.md, "Channels").
CREATE TABLE channels (
    name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,30}$')
);
INSERT INTO channels (name) VALUES ('email'), ('sms'), ('webhook');

ALTER TABLE target_contacts DROP CONSTRAINT target_contacts_channel_check,
    ADD CONSTRAINT target_contacts_channel_fkey FOREIGN KEY (channel) REFERENCES channels;
ALTER TABLE action_targets DROP CONSTRAINT action_targets_channel_check,
    ADD CONSTRAINT action_targets_channel_fkey FOREIGN KEY (channel) REFERENCES channels;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_channel_check,
    ADD CONSTRAINT deliveries_channel_fkey FOREIGN KEY (channel) REFERENCES channels;
ALTER TABLE action_channels DROP CONSTRAINT action_channels_channel_check,
    ADD CONSTRAINT action_channels_channel_fkey FOREIGN KEY (channel) REFERENCES channels;
ALTER TABLE pacing DROP CONSTRAINT pacing_channel_check,
    ADD CONSTRAINT pacing_channel_fkey FOREIGN KEY (channel) REFERENCES channels;
ALTER TABLE case_events DROP CONSTRAINT case_events_channel_check,
    ADD CONSTRAINT case_events_channel_fkey FOREIGN KEY (channel) REFERENCES channels;

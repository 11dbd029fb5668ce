-- A model letter may be written in versions (formats/versions.py, docs/letters.md): each
-- appeal records which versions it carried, its combination, when it is written, so the next
-- appeal to the same official can take another, and the workspace can say how varied an
-- action's appeals were; and whether it carried a message of the signer's own (a flag, so
-- counting them never reads the personal tables).
ALTER TABLE deliveries ADD COLUMN variant integer, ADD COLUMN personal boolean;

-- Beyond SAME_APPEALS_PER_DAY appeals an official receives in a UTC day with the same versions
-- and no personal message, the rest are 'folded': not sent one by one, but named in one
-- message at the day's end (kind 'repeats', its day in period_start). A folded appeal keeps
-- that day in period_start too.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
    CHECK (status IN ('scheduled', 'pending', 'sending', 'retry', 'ambiguous',
                      'sent', 'delivered', 'failed', 'bounced', 'cancelled', 'folded'));
ALTER TABLE deliveries DROP CONSTRAINT deliveries_kind_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_kind_check
    CHECK (kind IN ('confirmation', 'already_signed', 'appeal', 'digest', 'update', 'webhook',
                    'privacy_link', 'network_join', 'confirmation_reminder', 'network_alert',
                    'network_weekly', 'follow_case', 'network_texts', 'network_texts_on',
                    'repeats'));
CREATE UNIQUE INDEX deliveries_one_repeats ON deliveries (action_id, target_id, channel, period_start)
    WHERE kind = 'repeats';
CREATE INDEX deliveries_folded ON deliveries (period_start, action_id, target_id, channel)
    WHERE status = 'folded';

-- When a member's number starts receiving texts (its YES), an email tells the member, with the
-- way to stop it: their page's link may have been forwarded, and a number someone else added
-- through it would sign urgent actions in their name (docs/network.md, "Texts"). And, since
-- 0034 was written: a YES never moves a number from one member to another; a number given by
-- two members is given to neither.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_kind_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_kind_check
    CHECK (kind IN ('confirmation', 'already_signed', 'appeal', 'digest', 'update', 'webhook',
                    'privacy_link', 'network_join', 'confirmation_reminder', 'network_alert',
                    'network_weekly', 'follow_case', 'network_texts', 'network_texts_on'));

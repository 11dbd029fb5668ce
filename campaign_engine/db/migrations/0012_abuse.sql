-- Abuse resistance (docs/abuse.md): suspected signatures, trending alerts, invalidations.

-- A suspected signature is kept and answered like any other, but gets no confirmation email,
-- so it is never confirmed or counted unless a campaigner releases it. NULL: not suspected.
ALTER TABLE signatures ADD COLUMN suspicion text
    CHECK (suspicion IN ('client_rate', 'honeypot', 'disposable_domain'));

-- The domain of the address it was signed with: trending domains and invalidation by domain
-- read it here, without touching the supporters' table.
ALTER TABLE signatures ADD COLUMN email_domain text;
UPDATE signatures s SET email_domain = split_part(p.email_canonical, '@', 2)
FROM supporters p WHERE p.id = s.supporter_id;

-- Signing counts one client's recent signatures on the action; the trend spotter reads an
-- action's last hour.
CREATE INDEX signatures_by_client ON signatures (action_id, client_key, created_at)
    WHERE client_key IS NOT NULL;
CREATE INDEX signatures_by_time ON signatures (action_id, created_at);

-- One row per thing seen trending on an action: a client (by its keyed hash, never its
-- address) or an email domain. Updated each minute while it trends.
CREATE TABLE abuse_alerts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    action_id   bigint NOT NULL REFERENCES actions ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('client', 'domain')),
    subject     text NOT NULL,  -- a domain, or the hex of a client key
    signatures  integer NOT NULL,  -- in the hour before it was last seen
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL,
    UNIQUE (action_id, kind, subject)
);

-- Appeals of a signature invalidated before they went out are cancelled, never sent.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
    CHECK (status IN ('scheduled', 'pending', 'sending', 'retry', 'ambiguous',
                      'sent', 'delivered', 'failed', 'bounced', 'cancelled'));

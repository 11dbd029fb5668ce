-- A proof of work on the signing form (docs/abuse.md): 'auto' asks for it while something
-- trends on the action (an alert seen within the hour), 'on' always, 'off' never.
ALTER TABLE actions ADD COLUMN proof_of_work text NOT NULL DEFAULT 'auto'
    CHECK (proof_of_work IN ('auto', 'on', 'off'));

ALTER TABLE signatures DROP CONSTRAINT signatures_suspicion_check;
ALTER TABLE signatures ADD CONSTRAINT signatures_suspicion_check
    CHECK (suspicion IN ('client_rate', 'honeypot', 'disposable_domain', 'proof_of_work'));

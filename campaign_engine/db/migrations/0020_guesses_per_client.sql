-- Guesses at a password or a code are throttled per (account, client) with growing delays,
-- under a per-account ceiling (domain/guesses.py): the pair is what the delays count.
CREATE INDEX sign_in_attempts_pair ON sign_in_attempts (account_key, client_key, at);

-- Personal data sealed at rest (campaign_engine/sealing.py, docs/privacy.md): supporters'
-- addresses, names, phones and messages, and campaigners' second-factor secrets, become
-- AES-GCM ciphertext under keys the database never holds. Finding a supporter by address
-- goes through `email_key`, a keyed hash, instead of the canonical address itself.
--
-- SQL cannot seal (it has no keys), so this happens in three steps: these columns arrive
-- empty; the runner then seals what the plain columns hold (db/migrate.py, just before 0018,
-- in 0018's transaction); 0018 drops the plain columns.
ALTER TABLE supporters ADD COLUMN email_sealed bytea, ADD COLUMN email_key bytea;
ALTER TABLE signer_details
    ADD COLUMN name_sealed bytea, ADD COLUMN phone_sealed bytea, ADD COLUMN comment_sealed bytea;
ALTER TABLE staff ADD COLUMN totp_secret_sealed bytea;

-- The plain columns go, now that their values are sealed (see 0017). A NOT NULL that fails
-- here means a row escaped sealing: the transaction stops, and nothing is lost.
ALTER TABLE supporters
    DROP COLUMN email,
    DROP COLUMN email_canonical,
    ALTER COLUMN email_sealed SET NOT NULL,
    ALTER COLUMN email_key SET NOT NULL,
    ADD CONSTRAINT supporters_email_key_key UNIQUE (email_key);
ALTER TABLE signer_details
    DROP COLUMN name,
    DROP COLUMN phone,
    DROP COLUMN comment,
    ALTER COLUMN name_sealed SET NOT NULL;
ALTER TABLE staff DROP COLUMN totp_secret;


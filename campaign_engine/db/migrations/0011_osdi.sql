-- OSDI (issue 5): a key may also sign on a person's behalf through the OSDI
-- record_signature helper (`signatures:write`); the person still confirms by email.

ALTER TABLE api_keys DROP CONSTRAINT api_keys_scopes_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_scopes_check
    CHECK (scopes <@ ARRAY['actions:read', 'cases:read', 'signatures:read', 'signatures:write']
           AND cardinality(scopes) > 0);

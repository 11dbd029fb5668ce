-- Signatures keep keyed hashes of their email's domain (and of the domains above it) instead
-- of the domain itself, which for a personal domain names its owner (sealing.py,
-- Sealer.domain_keys). The runner fills them from the plain column before 0022 drops it.
ALTER TABLE signatures ADD COLUMN email_domain_keys bytea[];

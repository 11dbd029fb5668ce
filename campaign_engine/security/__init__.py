"""The security primitives: sealing personal data, tokens and signed links, passwords, TOTP.
May import: the standard library and cryptography's; nothing of the app."""

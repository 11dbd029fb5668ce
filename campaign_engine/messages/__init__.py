"""What each message says, in the reader's language, and its bytes on the wire (MIME, SMS).
May import: domain's letters, models, senders' shapes, i18n, templating; never db/ or web/."""

-- Where a letter on paper goes (docs/letters.md): an official's postal address, as it is
-- written on the envelope (in its own script, one line per line; the country last, as the post
-- asks). Printed on the case sheet; '' while nobody has given one.
ALTER TABLE targets ADD COLUMN postal_address text NOT NULL DEFAULT '';

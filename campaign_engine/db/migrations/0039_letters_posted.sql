-- "I posted it" (docs/letters.md): the letters supporters say they posted, counted per action,
-- official and UTC day. Counts only: who posted a letter is neither asked nor kept.
CREATE TABLE letters_posted (
    action_id bigint NOT NULL REFERENCES actions ON DELETE CASCADE,
    target_id bigint NOT NULL REFERENCES targets ON DELETE CASCADE,
    day       date NOT NULL,
    letters   integer NOT NULL CHECK (letters > 0),
    PRIMARY KEY (action_id, target_id, day)
);

-- "Copies to" (docs/letters.md): the diplomatic representatives an urgent action asks
-- supporters to send a copy of their letter to, usually the country's ambassador where the
-- supporter lives. They are targets like any official (name, title, address, salutations),
-- printed on the case sheet and named with each letter to post; appeals are not relayed to
-- them, so they are not flooded twice.
CREATE TABLE action_copies (
    action_id bigint NOT NULL REFERENCES actions ON DELETE CASCADE,
    target_id bigint NOT NULL REFERENCES targets ON DELETE CASCADE,
    PRIMARY KEY (action_id, target_id)
);

-- A surge is not a bot wave (docs/abuse.md, "Trending clients and domains"): what trends on an
-- action keeps the share of the action's hour that everything of its kind trending with it
-- made up. A wave of few clients or few domains is most of its hour; a surge of many people
-- trends too (a carrier's NAT, a big ISP's domain) but is a small part of it. Only the first
-- switches the form's proof of work on. Alerts from before were all treated as a wave.
ALTER TABLE abuse_alerts ADD COLUMN share real NOT NULL DEFAULT 1 CHECK (share > 0 AND share <= 1);

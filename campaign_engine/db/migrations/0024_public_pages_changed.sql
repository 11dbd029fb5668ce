-- Each web process holds the public pages it has rendered (web/page_cache.py). A change to
-- anything they show tells every process, at commit, on the `public_pages` channel, so that
-- none serves the old page: an edit, a publication, a takedown, a new translation, a case's
-- news, a trend switching the proof of work on. Per row, so that a statement that changes
-- nothing (the schedules' sweep, most of the time) says nothing; PostgreSQL folds the same
-- notice within a transaction into one. The counter lives in action_counts, which does not
-- notify: the pages hold it for a second at most.
CREATE FUNCTION notify_public_pages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('public_pages', '');
    RETURN NULL;
END
$$;

DO $$
DECLARE
    shown text;
BEGIN
    FOREACH shown IN ARRAY ARRAY[
        'actions', 'action_translations', 'cases', 'case_translations', 'case_events',
        'case_event_translations', 'abuse_alerts', 'consent_texts', 'partners',
        'partner_consent_texts'
    ] LOOP
        EXECUTE format(
            'CREATE TRIGGER public_pages_changed AFTER INSERT OR UPDATE OR DELETE ON %I '
            'FOR EACH ROW EXECUTE FUNCTION notify_public_pages()',
            shown
        );
    END LOOP;
END
$$;

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

CREATE TRIGGER public_pages_changed AFTER INSERT OR UPDATE OR DELETE ON actions
    FOR EACH ROW EXECUTE FUNCTION notify_public_pages();
CREATE TRIGGER public_pages_changed AFTER INSERT OR UPDATE OR DELETE ON action_translations
    FOR EACH ROW EXECUTE FUNCTION notify_public_pages();
CREATE TRIGGER public_pages_changed AFTER INSERT OR UPDATE OR DELETE ON cases
    FOR EACH ROW EXECUTE FUNCTION notify_public_pages();
CREATE TRIGGER public_pages_changed AFTER INSERT OR UPDATE OR DELETE ON case_translations
    FOR EACH ROW EXECUTE FUNCTION notify_public_pages();
CREATE TRIGGER public_pages_changed AFTER INSERT OR UPDATE OR DELETE ON case_events
    FOR EACH ROW EXECUTE FUNCTION notify_public_pages();
CREATE TRIGGER public_pages_changed AFTER INSERT OR UPDATE OR DELETE ON case_event_translations
    FOR EACH ROW EXECUTE FUNCTION notify_public_pages();
CREATE TRIGGER public_pages_changed AFTER INSERT OR UPDATE OR DELETE ON abuse_alerts
    FOR EACH ROW EXECUTE FUNCTION notify_public_pages();
CREATE TRIGGER public_pages_changed AFTER INSERT OR UPDATE OR DELETE ON consent_texts
    FOR EACH ROW EXECUTE FUNCTION notify_public_pages();
CREATE TRIGGER public_pages_changed AFTER INSERT OR UPDATE OR DELETE ON partners
    FOR EACH ROW EXECUTE FUNCTION notify_public_pages();
CREATE TRIGGER public_pages_changed AFTER INSERT OR UPDATE OR DELETE ON partner_consent_texts
    FOR EACH ROW EXECUTE FUNCTION notify_public_pages();

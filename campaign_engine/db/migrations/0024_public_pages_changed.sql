-- Each web process holds the public pages it has rendered (web/page_cache.py). A change to
-- anything they show tells every process, at commit, on the `public_pages` channel, so that
-- none serves the old page: an edit, a publication, a takedown, a new translation, a case's
-- news, a trend switching the proof of work on. One notice per statement (PostgreSQL folds the
-- same notice within a transaction into one). The counter lives in action_counts, which does
-- not notify: the pages hold it for a second at most.
CREATE FUNCTION notify_public_pages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('public_pages', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER public_pages_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON actions
    FOR EACH STATEMENT EXECUTE FUNCTION notify_public_pages();
CREATE TRIGGER public_pages_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON action_translations
    FOR EACH STATEMENT EXECUTE FUNCTION notify_public_pages();
CREATE TRIGGER public_pages_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cases
    FOR EACH STATEMENT EXECUTE FUNCTION notify_public_pages();
CREATE TRIGGER public_pages_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON case_translations
    FOR EACH STATEMENT EXECUTE FUNCTION notify_public_pages();
CREATE TRIGGER public_pages_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON case_events
    FOR EACH STATEMENT EXECUTE FUNCTION notify_public_pages();
CREATE TRIGGER public_pages_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON case_event_translations
    FOR EACH STATEMENT EXECUTE FUNCTION notify_public_pages();
CREATE TRIGGER public_pages_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON abuse_alerts
    FOR EACH STATEMENT EXECUTE FUNCTION notify_public_pages();
CREATE TRIGGER public_pages_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON consent_texts
    FOR EACH STATEMENT EXECUTE FUNCTION notify_public_pages();
CREATE TRIGGER public_pages_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON partners
    FOR EACH STATEMENT EXECUTE FUNCTION notify_public_pages();
CREATE TRIGGER public_pages_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON partner_consent_texts
    FOR EACH STATEMENT EXECUTE FUNCTION notify_public_pages();

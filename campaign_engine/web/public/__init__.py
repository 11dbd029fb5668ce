"""What anyone reads and does on the site: action and case pages, signing, the widget, privacy.
May import: domain/, models and web/'s shared modules; never db/ but its pool and outages."""

"""The workspace, where campaigners run urgent actions: every page behind `guard.staff_page`.
May import: domain/, models, web/'s shared modules; never db/ but its pool."""

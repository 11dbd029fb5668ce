"""The workspace, where campaigners run urgent actions: every page behind `guard.staff_page`."""

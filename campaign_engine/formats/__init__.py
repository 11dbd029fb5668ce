"""How text and data are read, checked and written: Markdown, form fields, CSV, SVG, countries.
May import: i18n and the standard library's; never db/, domain/ or web/."""

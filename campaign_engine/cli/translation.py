"""The translators' workflow: `i18n extract`, `update`, `check`."""

import click

from campaign_engine import translations
from campaign_engine.cli.common import main
from campaign_engine.settings import Settings


@main.group()
def i18n() -> None:
    """The translation workflow: extract, update, check."""


@i18n.command("extract")
def i18n_extract() -> None:
    """Write locales/messages.pot from the code and the templates."""
    translations.write_template(Settings.from_environ().home)


@i18n.command("update")
def i18n_update() -> None:
    """Merge messages.pot into every language's catalogue."""
    translations.update_catalogues(Settings.from_environ().home)


@i18n.command("check")
def i18n_check() -> None:
    """Fail unless the template is current and every catalogue complete."""
    found = translations.problems(Settings.from_environ().home)
    for problem in found:
        print(problem)
    if found:
        raise click.ClickException(f"{len(found)} translation problems")
    print("translations are complete and current")

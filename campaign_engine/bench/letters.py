"""The letters benchmark: issue 15's targets for paper, "a case sheet renders in under 300 ms
warm; 1,000 personal letters in under 60 s", measured beside their floor on a stack of its own.

The data: the demo's action texts in all six languages (dev/demo), and three officials made
by the workspace's own verbs, writing in Arabic, Chinese and Russian, each with a postal
address and salutations in ar, zh-Hans, ru, fr and en. Besides that action, as many others
as `--renders`, copies of it with every paragraph marked with their number: sheets no process
has laid out before.

Typst memoises what it laid out (comemo, kept for ten compiles in typst-py), so the same
sheet compiled again is cheaper than any sheet a reader asks for after another one. Measured
in this one process, one compile at a time, as a web process makes them (one compiler per
template and process, under a lock, off the event loop), through the route's own path
(domain/campaigns/case_sheets.py, then messages/):

- the first sheet of each language in the process (the compiler made, each script's font
  read on first use);
- a case sheet in en, ar and zh-Hans, the same one again, and another action's each time
  (the figure held against the 300 ms);
- the other actions' sheets again, over HTTP from `serve` (one web process);
- 1,000 supporters' letters (the POST's path: the action read, the form's fields checked,
  the PDF composed), each from a different invented name, country and address, in one of
  the six languages by turns: one letter per official, and the page in the supporter's
  language where it is another;
- the floor: Typst through the same typesetter compiling a page of one line in each language
  the document uses, with the same fonts, numbered so that no two are the same.

Nothing here asserts a speed; it exits non-zero only when an answer was not a PDF.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from babel import Locale

from campaign_engine.bench.growth import Stopwatch
from campaign_engine.bench.letters_report import SHEET_LOCALES, Found, Parts, Spread, report
from campaign_engine.bench.stack import (
    SLUG,
    BenchStack,
    campaigner,
    memory_mib,
    prepare,
    wait_until_ready,
)
from campaign_engine.clock import SystemClock
from campaign_engine.db.campaigns import authoring
from campaign_engine.db.pool import Pool
from campaign_engine.dev.demo import read_demo
from campaign_engine.dev.mailbox import free_port
from campaign_engine.domain.campaigns.case_sheets import read_case_sheet, read_letters
from campaign_engine.domain.targets.action_targets import add_action_target
from campaign_engine.domain.targets.target_editing import Addresses, create_target
from campaign_engine.domain.targets.target_fields import clean_postal_address
from campaign_engine.formats.countries import COUNTRY_CODES
from campaign_engine.i18n import LOCALES, Catalogues
from campaign_engine.links import absolute_url
from campaign_engine.messages.case_sheets import SheetRequest, case_sheet_data, compose_case_sheet
from campaign_engine.messages.letters import Sender, compose_letters, letters_data
from campaign_engine.messages.typesetting import Typesetter, region_of
from campaign_engine.models.targets import TargetDetails
from campaign_engine.models.workspace import Staff
from campaign_engine.settings import Settings
from campaign_engine.web.forms import FieldErrors, parse_letter_sender

FIRST_PRINTS = 20  # letters of actions not printed before

# The floor: one line per language the document uses, in the product's fonts, nothing else.
FLOOR_TEMPLATE = """\
#let data = json(bytes(sys.inputs.data))
#set page(paper: data.paper)
#set text(
  font: ("Noto Sans", "Noto Sans Arabic", "Noto Sans CJK SC"),
  fallback: false,
  lang: data.lang,
  region: data.region,
  size: 10.5pt,
)
#for line in data.lines [#text(lang: line.lang)[#line.text] \\ ]
"""

# Invented officials (as the demo's are), in the countries whose post their addresses name.
OFFICIALS: tuple[dict[str, Any], ...] = (
    {
        "external_id": "bench-attorney-general",
        "name": "د. سلمى الحداد",
        "title": "النائبة العامة",
        "organisation": "مكتب النائب العام",
        "country": "EG",
        "preferred_locale": "ar",
        "postal_address": "شارع الجلاء 12\nالقاهرة 11511\nمصر",
        "salutations": {
            "ar": "سعادة النائبة العامة المحترمة،",
            "zh-Hans": "尊敬的总检察长女士：",
            "ru": "Уважаемая госпожа Генеральный прокурор!",
            "fr": "Madame la Procureure générale,",
            "en": "Dear Attorney General,",
        },
    },
    {
        "external_id": "bench-public-security-minister",
        "name": "王建国",
        "title": "部长",
        "organisation": "公安部",
        "country": "CN",
        "preferred_locale": "zh-Hans",
        "postal_address": "东长安街 114 号\n北京市东城区 100741\n中国",
        "salutations": {
            "ar": "معالي الوزير المحترم،",
            "zh-Hans": "尊敬的王部长：",
            "ru": "Уважаемый господин министр!",
            "fr": "Monsieur le Ministre,",
            "en": "Dear Minister,",
        },
    },
    {
        "external_id": "bench-prosecutor-general",
        "name": "Игорь Петрович Соколов",
        "title": "Генеральный прокурор",
        "organisation": "Генеральная прокуратура",
        "country": "RU",
        "preferred_locale": "ru",
        "postal_address": "ул. Примерная, д. 15\nМосква, 125993\nРОССИЯ",
        "salutations": {
            "ar": "سعادة النائب العام المحترم،",
            "zh-Hans": "尊敬的总检察长先生：",
            "ru": "Уважаемый господин Генеральный прокурор!",
            "fr": "Monsieur le Procureur général,",
            "en": "Dear Prosecutor General,",
        },
    },
)

# Invented supporters: given names and family names in four scripts, taken in turns (nine
# given names, so that a name and a country come back together only after 2,304).
NAMES: tuple[tuple[tuple[str, ...], tuple[str, ...], str], ...] = (
    (
        ("Awa", "Inés", "Søren", "Zofia", "Chidi", "Aroha", "Kwame", "Olúmídé", "Ngozi"),
        ("Traoré", "Caldera", "Ødegård", "Wiśniewska", "Okafor", "Ngata", "Mensah", "Núñez"),
        " ",
    ),
    (
        ("Мария", "Дмитрий", "Ольга", "Тимур", "Анна", "Сергей", "Зарина", "Пётр", "Ирина"),
        ("Иванова", "Ким", "Лебедева", "Алиев", "Ёлкина", "Орлов", "Шевчук", "Юсупов"),
        " ",
    ),
    (
        ("فاطمة", "يوسف", "ليلى", "عمر", "مريم", "خالد", "نور", "سامي", "هدى"),
        ("الحسيني", "بن علي", "المصري", "العطار", "حداد", "الشامي", "منصور", "الخطيب"),
        " ",
    ),
    (
        ("伟", "芳", "秀英", "敏", "静", "强", "磊", "洋", "丽"),
        ("李", "王", "张", "刘", "陈", "杨", "赵", "黄"),
        "",
    ),
)
STREETS = ("rue des Baobabs", "Calle Mayor", "Kongensgade", "ul. Lipowa", "Queen Street")


@dataclass
class Sheets:
    """What producing a sheet needs, as the route has it."""

    pool: Pool
    settings: Settings
    catalogues: Catalogues
    floor: Typesetter
    made: int = 0  # floor pages made, numbered so that none is the same as another
    not_pdf: list[str] = field(default_factory=list)

    async def sheet(self, slug: str, locale: str, parts: Parts | None = None) -> float:
        """A case sheet (A4) as the route makes it; milliseconds. `parts` is told what its
        reading and its words took, measured again beside (they are inside the figure)."""
        s = self.settings
        with Stopwatch() as watch, self.catalogues.activate(locale):
            with Stopwatch() as reading:
                sheet = await read_case_sheet(self.pool, slug, locale)
            url = absolute_url(s.public_base_url, "pages.action_page", locale=locale, slug=slug)
            request = SheetRequest("a4", url, s.organisation_name)
            made = await compose_case_sheet(s.templates_dir, self.catalogues, sheet, request)
        self._check(made, f"{locale} sheet of {slug}")
        if parts is not None:
            with Stopwatch() as wording, self.catalogues.activate(locale):
                case_sheet_data(self.catalogues, sheet, request)
            parts.add(watch.ms, reading.ms, wording.ms)
        return watch.ms

    async def letters(
        self, slug: str, locale: str, values: dict[str, str], parts: Parts | None = None
    ) -> tuple[float, int]:
        """A supporter's letters as the POST makes them; (milliseconds, letters)."""
        s = self.settings
        with Stopwatch() as watch, self.catalogues.activate(locale):
            with Stopwatch() as reading:
                letters = await read_letters(self.pool, slug, locale)
            sender = parse_letter_sender(values)
            assert not isinstance(sender, FieldErrors), sender.errors
            name, country, address = sender
            typed = Sender(name, country, tuple(line for line in address.split("\n") if line))
            today, paper = datetime.now(UTC), values["paper"]
            made = await compose_letters(
                s.templates_dir, self.catalogues, letters, typed, paper, today
            )
        self._check(made, f"letters of {slug} in {locale}")
        if parts is not None:
            with Stopwatch() as wording, self.catalogues.activate(locale):
                letters_data(self.catalogues, letters, typed, paper, today)
            parts.add(watch.ms, reading.ms, wording.ms)
        return watch.ms, len(letters.targets)

    async def floor_page(self, lines: Sequence[tuple[str, str]], locale: str) -> float:
        """The floor: one page of `lines` ((language, text) each); milliseconds."""
        self.made += 1
        babel = Locale.parse(locale, sep="-")
        data = {
            "paper": "a4",
            "lang": babel.language,
            "region": region_of(babel),
            "lines": [
                {"lang": lang.split("-", 1)[0], "text": f"{text} · {self.made}"}
                for lang, text in lines
            ],
        }
        with Stopwatch() as watch:
            made = await self.floor.pdf(data)
        self._check(made, "floor page")
        return watch.ms

    def _check(self, made: bytes, what: str) -> None:
        if not made.startswith(b"%PDF-"):
            self.not_pdf.append(what)


def run_letters(renders: int, letters: int) -> int:
    with BenchStack() as stack:
        port = free_port()
        return asyncio.run(_bench(stack, port, renders, letters))


async def _bench(stack: BenchStack, port: int, renders: int, letters: int) -> int:
    pool = await stack.pool()
    try:
        titles = await _prepare(pool, stack, renders)
        web = stack.start("serve", "--port", str(port))
        settings = Settings.from_environ(stack.environ)
        floor_file = stack.data / "floor.typ"
        floor_file.write_text(FLOOR_TEMPLATE)
        sheets = Sheets(pool, settings, Catalogues(settings.locales_dir), Typesetter(floor_file))
        found = Found(renders, started_mib=memory_mib(os.getpid()), load=os.getloadavg()[0])
        await _measure_sheets(sheets, titles, found)
        await wait_until_ready(f"http://127.0.0.1:{port}")
        ready = memory_mib(web)
        found.http = await _over_http(f"http://127.0.0.1:{port}", renders)
        found.web_mib = (ready, memory_mib(web), memory_mib(web, "VmHWM"))
        await _measure_letters(sheets, titles, letters, found)
    finally:
        await pool.close()
    report(found, os.getloadavg()[0], [official["preferred_locale"] for official in OFFICIALS])
    if sheets.not_pdf:
        print(f"  NOT A PDF: {', '.join(sheets.not_pdf[:5])}", flush=True)
    return 1 if sheets.not_pdf else 0


async def _prepare(pool: Pool, stack: BenchStack, renders: int) -> dict[str, str]:
    """The action in six languages, RENDERS others like it and the three officials, made
    through the workspace's verbs where there is one; the action's title in each language."""
    demo = read_demo()
    action_texts: dict[str, dict[str, str]] = demo["action"]["content"]
    await prepare(pool)  # the schema and the benchmark's action, in English
    deadline = datetime.now(UTC) + timedelta(days=30)
    async with pool.acquire() as conn, conn.transaction():
        case_id = await authoring.upsert_case(
            conn, slug=SLUG, country=None, risk_category="other", status="open", default_locale="en"
        )
        for locale, words in demo["case"]["content"].items():
            await authoring.upsert_case_translation(conn, case_id, locale, words)
        action_id = await authoring.upsert_action(
            conn,
            case_id=case_id,
            slug=SLUG,
            code="UA 117/26",
            status="open",
            deadline=deadline,
            goal=0,
            default_locale="en",
        )
        for locale, texts in action_texts.items():
            await authoring.upsert_action_translation(
                conn, action_id, locale, texts, published=True
            )
        for number in range(1, renders + 1):
            other_id = await authoring.upsert_action(
                conn,
                case_id=case_id,
                slug=f"{SLUG}-{number}",
                code=f"UA {number}/26",
                status="open",
                deadline=deadline + timedelta(days=number),
                goal=0,
                default_locale="en",
            )
            for locale, texts in action_texts.items():
                await authoring.upsert_action_translation(
                    conn, other_id, locale, _numbered(texts, number), published=True
                )
    actor, _session = await campaigner(pool, stack)
    await _add_officials(pool, actor, renders)
    return {locale: texts["title"] for locale, texts in action_texts.items()}


def _numbered(texts: dict[str, str], number: int) -> dict[str, str]:
    """Another action's texts: each paragraph opens with its number, so none was laid out."""

    def marked(text: str) -> str:
        return "\n\n".join(f"({number}) {paragraph}" for paragraph in text.split("\n\n"))

    return {key: marked(text) for key, text in texts.items()}


async def _add_officials(pool: Pool, actor: Staff, renders: int) -> None:
    clock = SystemClock()
    slugs = [SLUG, *(f"{SLUG}-{number}" for number in range(1, renders + 1))]
    for official in OFFICIALS:
        details = TargetDetails(
            external_id=official["external_id"],
            name=official["name"],
            title=official["title"],
            organisation=official["organisation"],
            country=official["country"],
            time_zone="UTC",
            office_hours=None,
            preferred_locale=official["preferred_locale"],
            salutations=official["salutations"],
            max_per_hour=None,
            max_per_day=None,
            notes="",
            postal_address=clean_postal_address(official["postal_address"]),
        )
        email = f"{official['external_id']}@example.org"
        target_id = await create_target(pool, clock, actor, details, Addresses({"email": (email,)}))
        for slug in slugs:
            await add_action_target(pool, clock, actor, slug, target_id, "email")


async def _measure_sheets(sheets: Sheets, titles: dict[str, str], found: Found) -> None:
    for locale in SHEET_LOCALES:  # in this order: Latin's fonts first, then each script's
        found.first[locale] = await sheets.sheet(SLUG, locale)
    await sheets.floor_page([("en", "warm")], "en")  # the floor's compiler made
    times: dict[str, dict[str, list[float]]] = {
        kind: {locale: [] for locale in SHEET_LOCALES} for kind in ("same", "other", "floor")
    }
    found.sheet_parts = {locale: Parts() for locale in SHEET_LOCALES}
    # Side by side, so that what else the machine does weighs on each alike. Nine compiles
    # apart, the same sheet again is still in Typst's memo (typst-py keeps ten).
    for number in range(1, found.renders + 1):
        for locale in SHEET_LOCALES:
            parts = found.sheet_parts[locale]
            times["same"][locale].append(await sheets.sheet(SLUG, locale))
            times["other"][locale].append(await sheets.sheet(f"{SLUG}-{number}", locale, parts))
            floor = await sheets.floor_page([(locale, titles[locale])], locale)
            times["floor"][locale].append(floor)
    found.same, found.other, found.floor = (
        {locale: Spread.of(ms) for locale, ms in times[kind].items()}
        for kind in ("same", "other", "floor")
    )


async def _over_http(base: str, renders: int) -> dict[str, Spread]:
    """The other actions' sheets from the web process, which has made none of them."""
    times: dict[str, list[float]] = {locale: [] for locale in SHEET_LOCALES}
    async with aiohttp.ClientSession(base) as http:

        async def fetched(path: str) -> float:
            with Stopwatch() as watch:
                async with http.get(path) as response:
                    body = await response.read()
            if response.status != 200 or not body.startswith(b"%PDF-"):
                raise SystemExit(f"bench letters: {path} answered {response.status}")
            return watch.ms

        for locale in SHEET_LOCALES:  # its compiler made and its fonts read
            await fetched(f"/{locale}/actions/{SLUG}/case-sheet.pdf")
        for number in range(1, renders + 1):
            for locale in SHEET_LOCALES:
                path = f"/{locale}/actions/{SLUG}-{number}/case-sheet.pdf"
                times[locale].append(await fetched(path))
    return {locale: Spread.of(ms) for locale, ms in times.items()}


def supporter(number: int) -> tuple[str, dict[str, str]]:
    """The `number`th invented supporter: the language of their page, and the form's fields."""
    firsts, lasts, between = NAMES[number % len(NAMES)]
    turn = number // len(NAMES)
    name = f"{firsts[turn % len(firsts)]}{between}{lasts[turn // len(firsts) % len(lasts)]}"
    if between == "":  # a Chinese name: the family name first
        name = f"{lasts[turn // len(firsts) % len(lasts)]}{firsts[turn % len(firsts)]}"
    countries = sorted(COUNTRY_CODES)
    address = (
        ""  # a third give none
        if number % 3 == 2
        else f"{number + 1} {STREETS[number % len(STREETS)]}\n{10000 + number} Town"
    )
    values = {
        "name": name,
        "country": countries[(number * 7) % len(countries)],
        "address": address,
        "paper": "letter" if number % 5 == 4 else "a4",
    }
    return LOCALES[number % len(LOCALES)], values


async def _measure_letters(
    sheets: Sheets, titles: dict[str, str], count: int, found: Found
) -> None:
    locale, values = supporter(count)  # one more than the measured, made first
    found.first_letters, _letters = await sheets.letters(SLUG, locale, values)
    people = [supporter(number) for number in range(count)]
    found.supporters = len(people)
    found.different = len({(locale, *values.values()) for locale, values in people})
    pid = os.getpid()
    before = memory_mib(pid)
    times: list[float] = []
    started = time.perf_counter()
    for locale, values in people:
        took, letters = await sheets.letters(SLUG, locale, values)
        times.append(took)
        found.letters_count += letters
    found.letters_seconds = time.perf_counter() - started
    found.memory = (before, memory_mib(pid), memory_mib(pid, "VmHWM"))
    found.letters_each = Spread.of(times)
    # Its floor: a page with a line in each language those letters use, and the supporter's.
    languages = [official["preferred_locale"] for official in OFFICIALS]
    floors = []
    for number in range(min(count, 200)):
        locale, _values = people[number]
        lines = [(lang, titles[lang]) for lang in [*languages, locale]]
        floors.append(await sheets.floor_page(lines, locale))
    found.letters_floor = Spread.of(floors)
    # And the first letters of actions this process has not printed any of.
    firsts: list[float] = []
    for number in range(1, min(FIRST_PRINTS, found.renders) + 1):
        locale, values = people[number]
        took, _letters = await sheets.letters(f"{SLUG}-{number}", locale, values)
        firsts.append(took)
    found.letters_new_action = Spread.of(firsts)
    # What a PDF's time goes on, from supporters not yet met (outside the figures above).
    for number in range(count + 1, count + 1 + min(count, 100)):
        locale, values = supporter(number)
        await sheets.letters(SLUG, locale, values, found.letter_parts)

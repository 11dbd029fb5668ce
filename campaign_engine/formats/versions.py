"""A model letter written in versions, so that no two appeals to an official read the same.

Officials learn to discard identical mail. A campaigner may write two to four versions of the
subject and of any paragraph; each appeal takes one version of each, chosen by its signature.

How they are typed (in the action editor, in each language):

- the subject's versions on its one line, separated by `||`:
  `Release Ana García now || Ana García must go free`;
- a paragraph's versions one after another, with a line holding only `||` between them:

      Ana García was arrested on 3 March for her work.
      ||
      On 3 March the police took Ana García from her home.

      I urge you to release her at once.

A letter without `||` is one version of everything, exactly as before. Which versions an
appeal took is one number, its *combination*: the subject's version is its last digit, each
paragraph's the next (a mixed-radix number), so consecutive combinations differ in the
subject first and every combination is a distinct letter.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from uuid import UUID

SEPARATOR = "||"
MAX_VERSIONS = 4
_SEPARATOR_LINE = re.compile(r"^\s*\|\|\s*$")


@dataclass(frozen=True)
class VersionedLetter:
    """A model letter as typed: the subject's versions, and each paragraph's."""

    subjects: tuple[str, ...]
    paragraphs: tuple[tuple[str, ...], ...]

    @property
    def parts(self) -> tuple[tuple[str, ...], ...]:
        """The subject, then the paragraphs: each a choice among its versions."""
        return (self.subjects, *self.paragraphs)

    @property
    def combinations(self) -> int:
        """How many different letters the versions make."""
        count = 1
        for versions in self.parts:
            count *= len(versions)
        return count

    @property
    def varied(self) -> bool:
        return self.combinations > 1

    def written(self, combination: int) -> WrittenLetter:
        """The letter an appeal with this combination carries."""
        chosen: list[str] = []
        rest = combination % self.combinations
        for versions in self.parts:
            rest, index = divmod(rest, len(versions))
            chosen.append(versions[index])
        return WrittenLetter(chosen[0], tuple(chosen[1:]))

    @property
    def model(self) -> WrittenLetter:
        """The first version of everything: the letter a page shows and a case sheet prints."""
        return self.written(0)


@dataclass(frozen=True)
class WrittenLetter:
    """One version of the subject and of each paragraph."""

    subject: str
    paragraphs: tuple[str, ...]

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


def subject_versions(subject: str) -> tuple[str, ...]:
    versions = tuple(part.strip() for part in subject.split(SEPARATOR))
    return tuple(version for version in versions if version) or ("",)


def paragraph_versions(body: str) -> tuple[tuple[str, ...], ...]:
    """The paragraphs (parted by blank lines) and the versions of each (parted by `||`)."""
    groups: list[list[str]] = []
    lines: list[str] = []
    joined = False  # the next paragraph is a version of the last one

    def close() -> None:
        nonlocal joined
        if not lines:
            return
        paragraph = "\n".join(lines).strip()
        lines.clear()
        if joined and groups:
            groups[-1].append(paragraph)
        else:
            groups.append([paragraph])
        joined = False

    for line in body.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if _SEPARATOR_LINE.match(line):
            close()
            joined = True
        elif not line.strip():
            close()
        else:
            lines.append(line)
    close()
    return tuple(tuple(group) for group in groups)


def versioned(subject: str, body: str) -> VersionedLetter:
    return VersionedLetter(subject_versions(subject), paragraph_versions(body))


def model_letter(subject: str, body: str) -> WrittenLetter:
    """The letter as a page shows it: the first version of each part."""
    return versioned(subject, body).model


def too_many_versions(text: str, one_line: bool) -> bool:
    """Whether a subject or a letter, as typed, has more than four versions of a part."""
    parts = (subject_versions(text),) if one_line else paragraph_versions(text)
    return any(len(versions) > MAX_VERSIONS for versions in parts)


def signature_seed(signature_id: UUID) -> int:
    """A number of the signature's own, spread evenly: the same signature always chooses the
    same versions (a retried appeal reads as the first try did), and many signatures choose
    each version as often as the others."""
    return int.from_bytes(hashlib.sha256(signature_id.bytes).digest()[:8], "big")


def combination_for(letter: VersionedLetter, signature_id: UUID, previous: int | None) -> int:
    """The combination of a signature's appeal, unless that is the one the official's last
    appeal carried: then the next, so no two appeals in a row read the same."""
    combination = signature_seed(signature_id) % letter.combinations
    if previous is not None and letter.varied and combination == previous:
        combination = (combination + 1) % letter.combinations
    return combination

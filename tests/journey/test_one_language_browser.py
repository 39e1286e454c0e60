"""Every role's pages in Chinese, in a real browser (so that what page scripts write counts too):
no English word, no event name, no time with seconds. The crawl starts from the role's home and
menu and follows links one step further (the detail pages of demo objects). Also: the vendored
CJK font is what renders Chinese on this machine, which has none installed."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
from babel.messages.pofile import read_po

from core.config import ROOT
from hospital.models.consultations import ConsultationStatus
from hospital.models.prescriptions import PrescriptionStatus
from hospital.models.rota import ShiftKind
from hospital.services.patients import ALLERGEN_LABELS
from hospital.services.prescription_safety import FREQUENCY_LABELS
from pharmacy.models import DeliveryStatus, OrderStatus
from tests.browser_helpers import open_as
from tests.conftest import DESKTOP, PHONE
from tests.journey.helpers import HYPERTENSION, approved_prescription
from tests.journey.test_qr_verify import HttpClient

pytestmark = [pytest.mark.browser, pytest.mark.live]

ROLES = [
    ("patient", "13800000001", PHONE),
    ("doctor", "doc28", DESKTOP),
    ("pharmacist", "pharm01", DESKTOP),
    ("dispatcher", "disp01", DESKTOP),
    ("admin", "admin", DESKTOP),
]
# Not pages to read: files, the API, and the call page (camera and microphone).
SKIP = re.compile(r"^/(api/|static/|calls/)|\.pdf$|/label$")
MAX_PAGES = 30
# Letters that may stand in a Chinese page: units, file formats (CSV, JSON), names of standards (FHIR).
ALLOWED = {"icd", "pdf", "qr", "mg", "ml", "iu", "mmhg", "mmol", "kg", "cm", "mb", "png", "jpeg", "webp", "id", "api"}
ALLOWED |= {"csv", "json", "fhir"}
ALLOWED |= {"alt", "ctrl"}  # key names are printed on Chinese keyboards too (Alt+N, Ctrl+S)
WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2,}(?![A-Za-z0-9])")  # "PER4", "RX7F" are codes, not words
SEX_LETTER = re.compile(r"(?<![A-Za-z0-9])[MF](?![A-Za-z0-9.])")
EVENT = re.compile(r"\b(consultation|prescription|order|delivery|case|call)\.[a-z_]+")
SECONDS = re.compile(r"\b\d{1,2}:\d{2}:\d{2}\b")


def _english_vocabulary() -> set[str]:
    """English words of the project's own texts: every msgid (server and page scripts), the
    formulary's English names, and the codes of states, shifts, frequencies and allergen groups
    (identifiers such as user names, drug codes or pinyin initials are not words and may show)."""
    texts: list[str] = ["rash"]
    for po in ROOT.glob("translations/*/zh/LC_MESSAGES/messages.po"):
        with po.open("rb") as catalog:
            texts += [m.id if isinstance(m.id, str) else " ".join(m.id) for m in read_po(catalog) if m.id]
    formulary = json.loads((ROOT / "hospital/data/formulary.json").read_text())
    for drug in formulary["drugs"]:
        texts += [drug["generic_en"], drug["form_en"], drug["package_unit_en"], *drug["allergen_groups"]]
    texts += [c["name_en"] for c in formulary["drug_classes"]]
    for enum in (ConsultationStatus, PrescriptionStatus, ShiftKind, DeliveryStatus, OrderStatus):
        texts += [member.value for member in enum]
    texts += list(FREQUENCY_LABELS) + list(ALLERGEN_LABELS)
    words = {w.lower() for text in texts for w in WORD.findall(re.sub(r"%\(\w+\)s", " ", text))}
    return words - ALLOWED


# The text a person sees or hears: visible text nodes and the labels read aloud, outside any
# element marked as another language (the "English" switch) or as not language (translate="no":
# user names, codes).
READABLE = """() => {
  const parts = [];
  const skip = (node) => node.closest('script, style, [lang="en"], [translate="no"], [hidden]');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!el || skip(el) || !el.getClientRects().length) continue;
    parts.push(walker.currentNode.textContent);
  }
  document.querySelectorAll('[aria-label], [placeholder], [title], img[alt]').forEach((el) => {
    if (skip(el)) return;
    ['aria-label', 'placeholder', 'title', 'alt'].forEach((a) => el.hasAttribute(a) && parts.push(el.getAttribute(a)));
  });
  parts.push(document.title);
  return parts.join('\\n');
}"""
# Links that download a file (a[download]) are files, not pages to read.
LINKS = """() => [...document.querySelectorAll('header a[href]:not([download]), main a[href]:not([download])')]
  .map((a) => a.getAttribute('href'))"""


def _local(href: str | None) -> str | None:
    if not href or href.startswith(("#", "mailto:", "tel:")):
        return None
    parts = urlsplit(href)
    if parts.netloc or SKIP.search(parts.path):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _problems(text: str, vocabulary: set[str]) -> list[str]:
    found = [
        f"English: {m.group(0)!r} in {text[max(0, m.start() - 25) : m.end() + 25]!r}"
        for m in WORD.finditer(text)
        if m.group(0).lower() in vocabulary
    ][:6]
    found += [f"sex letter in: {m.string[max(0, m.start() - 20) : m.end() + 20]!r}" for m in SEX_LETTER.finditer(text)]
    found += [f"event name: {m.group(0)}" for m in EVENT.finditer(text)]
    found += [f"time with seconds: {m.group(0)}" for m in SECONDS.finditer(text)]
    return found


def _crawl(page, base: str, vocabulary: set[str]) -> dict[str, list[str]]:
    """Home and menu first, then one step further; each page read once it has settled."""
    queue, seen, report = ["/"], set(), {}
    depth = {"/": 0}
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(base + path)
        page.wait_for_timeout(700)  # page scripts fill lists from the API
        problems = _problems(page.evaluate(READABLE), vocabulary)
        if response is not None and response.status >= 500:
            problems.append(f"status {response.status}")
        if problems:
            report[path] = problems
        if depth[path] < 2:
            for href in page.evaluate(LINKS):
                target = _local(href)
                if target and target not in seen and target not in depth:
                    depth[target] = depth[path] + 1
                    queue.append(target)
    return report


def test_every_page_of_every_role_is_in_one_language(browser, live_server):
    approved_prescription(HttpClient(live_server.url), HYPERTENSION)  # demo objects to open
    failures, vocabulary = {}, _english_vocabulary()
    for role, username, device in ROLES:
        page = open_as(browser, live_server, username, device, locale="zh-CN")
        for path, problems in _crawl(page, live_server.url, vocabulary).items():
            failures[f"{role} {path}"] = problems
        page.context.close()
    assert not failures, "\n".join(f"{where}: {'; '.join(p)}" for where, p in failures.items())


def test_chinese_renders_with_the_vendored_font(browser, live_server):
    context = browser.new_context(**PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(live_server.url + "/login")
    loaded = page.evaluate(
        """async () => {
          await document.fonts.load('16px "App CJK"', '中文');
          await document.fonts.ready;
          return [document.fonts.check('16px "App CJK"', '中文'),
                  [...document.fonts].filter((f) => f.family.includes('App CJK')).map((f) => f.status)];
        }"""
    )
    assert loaded[0] and loaded[1] == ["loaded"], loaded
    # The heading's Chinese glyphs have width (tofu boxes would too, but the face above is what draws them).
    width = page.evaluate("() => document.querySelector('h1').getBoundingClientRect().width")
    assert width > 40
    context.close()

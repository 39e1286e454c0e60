"""Every text in code and templates has its Chinese translation (Chinese is the default)."""

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from core.config import ROOT
from core.i18n import TRANSLATIONS

METHOD_MAP = [
    ("**/static/**", "ignore"),
    ("**/.venv/**", "ignore"),
    ("**/tests/**", "ignore"),
    ("**/migrations/**", "ignore"),
    ("**/scripts/**", "ignore"),
    ("**/bench/**", "ignore"),
    ("**.py", "python"),
    ("**/templates/**.html", "jinja2"),
]
KEYWORDS = {"_": None, "gettext": None, "lazy_gettext": None, "_l": None, "ngettext": (1, 2)}


def _translated() -> set[str]:
    texts: set[str] = set()
    for po_path in TRANSLATIONS.glob("*/zh/LC_MESSAGES/messages.po"):
        with po_path.open("rb") as handle:
            texts |= {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id and m.string}
    return texts


def test_every_msgid_has_a_chinese_translation():
    translated = _translated()
    missing = sorted(
        {
            (message if isinstance(message, str) else message[0])
            for _file, _line, message, _comments, _context in extract_from_dir(str(ROOT), METHOD_MAP, keywords=KEYWORDS)
        }
        - translated
    )
    assert not missing, f"{len(missing)} texts lack a Chinese translation: {missing[:20]}"


def test_pages_are_chinese_by_default_and_english_at_the_switch(client):
    assert "实名注册" in client.get("/register").get_data(as_text=True)
    client.set_cookie("lang", "en")
    assert "Register with your real name" in client.get("/register").get_data(as_text=True)


def test_page_scripts_texts_are_in_the_client_catalog():
    import re

    from core.i18n import client_msgids

    # Scripts call App.t (t inside app.js) with a literal text, so that it can be found here.
    calls = re.compile(r'(?:App\.t|\bt)\(\s*"((?:[^"\\]|\\.)*)"')
    used = {m.group(1) for js in (ROOT / "static" / "js").glob("*.js") for m in calls.finditer(js.read_text())}
    catalog = set(client_msgids())
    assert len(used) > 40 and not used - catalog, sorted(used - catalog)
    assert not catalog - used, f"catalog texts no script uses: {sorted(catalog - used)}"


def test_page_scripts_get_their_texts_in_the_users_language(client):
    import json
    import re

    texts = lambda html: json.loads(re.search(r'id="client-texts">(.*?)</script>', html, re.S).group(1))  # noqa: E731
    assert texts(client.get("/login").get_data(as_text=True))["Reconnecting…"] == "正在重新连接…"
    client.set_cookie("lang", "en")
    assert texts(client.get("/login").get_data(as_text=True))["Reconnecting…"] == "Reconnecting…"

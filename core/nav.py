"""Navigation and home sections, registered by each domain so that base.html knows no domain.

A domain calls `add_nav(role, label, path)` for the menu and `add_home_section(role, template,
context)` to put a block on that role's home page (e.g. "my medicines" on the patient's home).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class NavItem:
    label: object  # a lazy_gettext string
    path: str
    order: int = 50


@dataclass(frozen=True)
class HomeSection:
    template: str
    context: Callable[[object], dict] = field(default=lambda user: {})
    order: int = 50


_nav: dict[str, list[NavItem]] = {}
_home: dict[str, list[HomeSection]] = {}
# In elder mode a role's menu keeps only what its elder home offers; the rest sits under "More".
_elder: dict[str, list[str]] = {}


def add_nav(role: str, label, path: str, order: int = 50) -> None:
    items = _nav.setdefault(role, [])
    if all(item.path != path for item in items):
        items.append(NavItem(label, path, order))


def nav_for(role: str | None) -> list[NavItem]:
    return sorted(_nav.get(role or "", []), key=lambda item: item.order)


def add_elder_nav(role: str, *paths: str) -> None:
    """The menu paths kept in elder mode (what the role's elder home offers); a role without any
    keeps its whole menu."""
    kept = _elder.setdefault(role, [])
    kept.extend(path for path in paths if path not in kept)


def elder_paths(role: str | None) -> list[str]:
    return list(_elder.get(role or "", []))


def add_home_section(role: str, template: str, context=None, order: int = 50) -> None:
    sections = _home.setdefault(role, [])
    if all(section.template != template for section in sections):
        sections.append(HomeSection(template, context or (lambda user: {}), order))


def home_sections(role: str) -> list[HomeSection]:
    return sorted(_home.get(role, []), key=lambda section: section.order)

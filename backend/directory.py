"""Fixed lists the product is built on: news topics and the regions of Kazakhstan.

Codes are stored (users, organisations, curator scopes, broadcasts); names are shown in the
reader's language. Regions as of the 2022 reform: 17 regions and 3 cities of republican
significance.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    code: str
    kk: str
    ru: str
    en: str

    def name(self, language: str | None) -> str:
        return {"kk": self.kk, "ru": self.ru, "en": self.en}.get(language or "ru", self.ru)


@dataclass(frozen=True)
class Topic(Entry):
    default_on: bool = True  # a user who never chose gets this topic's broadcasts


TOPICS: tuple[Topic, ...] = (
    Topic("news", "Жаңалықтар", "Новости", "News", True),
    Topic(
        "courses",
        "Біліктілікті арттыру курстары",
        "Курсы повышения квалификации",
        "Refresher courses",
        True,
    ),
    Topic("attestation", "Аттестаттау", "Аттестация", "Attestation", True),
    Topic("contests", "Байқаулар", "Конкурсы", "Contests", False),
    Topic("jobs", "Бос жұмыс орындары", "Вакансии", "Jobs", False),
)
TOPIC_CODES = frozenset(topic.code for topic in TOPICS)

REGIONS: tuple[Entry, ...] = (
    Entry("abai", "Абай облысы", "Абайская область", "Abai Region"),
    Entry("akmola", "Ақмола облысы", "Акмолинская область", "Akmola Region"),
    Entry("aktobe", "Ақтөбе облысы", "Актюбинская область", "Aktobe Region"),
    Entry("almaty_region", "Алматы облысы", "Алматинская область", "Almaty Region"),
    Entry("atyrau", "Атырау облысы", "Атырауская область", "Atyrau Region"),
    Entry(
        "west_kz",
        "Батыс Қазақстан облысы",
        "Западно-Казахстанская область",
        "West Kazakhstan Region",
    ),
    Entry("zhambyl", "Жамбыл облысы", "Жамбылская область", "Zhambyl Region"),
    Entry("zhetysu", "Жетісу облысы", "Жетысуская область", "Zhetysu Region"),
    Entry("karaganda", "Қарағанды облысы", "Карагандинская область", "Karaganda Region"),
    Entry("kostanay", "Қостанай облысы", "Костанайская область", "Kostanay Region"),
    Entry("kyzylorda", "Қызылорда облысы", "Кызылординская область", "Kyzylorda Region"),
    Entry("mangystau", "Маңғыстау облысы", "Мангистауская область", "Mangystau Region"),
    Entry("pavlodar", "Павлодар облысы", "Павлодарская область", "Pavlodar Region"),
    Entry(
        "north_kz",
        "Солтүстік Қазақстан облысы",
        "Северо-Казахстанская область",
        "North Kazakhstan Region",
    ),
    Entry("turkistan", "Түркістан облысы", "Туркестанская область", "Turkistan Region"),
    Entry("ulytau", "Ұлытау облысы", "Улытауская область", "Ulytau Region"),
    Entry(
        "east_kz",
        "Шығыс Қазақстан облысы",
        "Восточно-Казахстанская область",
        "East Kazakhstan Region",
    ),
    Entry("astana", "Астана қаласы", "город Астана", "Astana"),
    Entry("almaty", "Алматы қаласы", "город Алматы", "Almaty"),
    Entry("shymkent", "Шымкент қаласы", "город Шымкент", "Shymkent"),
)
REGION_CODES = frozenset(region.code for region in REGIONS)
CITY_CODES = frozenset({"astana", "almaty", "shymkent"})  # cities of republican significance


def _collation_key(name: str) -> str:
    """Russian alphabetical order: code points, except Ё, which sorts right after Е."""
    return name.casefold().replace("ё", "е\uffff")


def regions_in_order(language: str | None) -> tuple[Entry, ...]:
    """Regions as a list should show them in ``language``: REGIONS is in Kazakh alphabetical
    order; Russian and English sort their own names, regions first, then the three cities."""
    if language == "kk":
        return REGIONS

    def key(entry: Entry) -> tuple[bool, str]:
        name = entry.name(language)
        for prefix in ("город ", "city of "):
            name = name.removeprefix(prefix)
        return entry.code in CITY_CODES, _collation_key(name)

    return tuple(sorted(REGIONS, key=key))


UMO_TOPIC_PREFIX = "umo:"  # "umo:<training direction>": the news of that direction's UMO


def umo_topic(code: str) -> Topic | None:
    """The news topic of a UMO (Order 400, annex 2), off unless chosen; None if not one."""
    from backend.umo.directory import load_directory  # data, loaded on first use

    direction = code.removeprefix(UMO_TOPIC_PREFIX)
    if not code.startswith(UMO_TOPIC_PREFIX) or direction not in load_directory().directions:
        return None
    return Topic(
        code,
        f"ОӘБ {direction}",
        f"УМО по направлению {direction}",
        f"UMO of direction {direction}",
        False,
    )


def callback_topic(code: str) -> str:
    """A topic code as button data carries it: ":" separates callback data fields, so a UMO
    topic "umo:011" travels as "umo.011" (fixed topic codes are unchanged)."""
    return code.replace(":", ".")


def topic_of_callback(value: str) -> str:
    """The topic code behind ``callback_topic``'s value (unknown values come back unchanged,
    for ``is_topic`` to refuse)."""
    prefix = UMO_TOPIC_PREFIX.replace(":", ".")
    return UMO_TOPIC_PREFIX + value.removeprefix(prefix) if value.startswith(prefix) else value


def is_umo_topic(code: str) -> bool:
    return umo_topic(code) is not None


def is_topic(code: str) -> bool:
    return code in TOPIC_CODES or umo_topic(code) is not None


def topic(code: str) -> Topic:
    """The topic with ``code`` (a fixed one or a UMO's); KeyError for an unknown one."""
    for entry in TOPICS:
        if entry.code == code:
            return entry
    found = umo_topic(code)
    if found is None:
        raise KeyError(code)
    return found


def region(code: str) -> Entry:
    for entry in REGIONS:
        if entry.code == code:
            return entry
    raise KeyError(code)

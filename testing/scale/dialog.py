"""A teacher's whole self-assessment, played through ``UserDriver`` against any running bot.

The teacher answers from a *profile* (language, position, a seed): on each screen the driver
reads the bot's newest message and decides, so every profile walks its own path through the
dialog (education, yes/no questions, years, checklists) and always reaches the result. The same
profile gives the same path and the same result on any deployment, which is what the scale run
compares: each dialog's result against a single-process reference run.

A step whose answer never comes (the bot process handling it was killed) is retried the way a
person would: after ``patience`` seconds the driver looks at the screen again and acts on what
it shows, at most ``retries`` times in a row.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from testing.telegram import BotMessage, ButtonNotFoundError, UserDriver

RESULT_MARKS = ("Оценка:", "Бағалау:")  # the result screen's headline, ru and kk
LANGUAGE_PROMPT = "Тілді таңдаңыз"
NAVIGATION = ("⬅", "📋", "✖", "🔁", "Не знаю", "Білмеймін")
MAX_STEPS = 60  # a dialog is about 18 updates; more means the driver is going round in circles


@dataclass(frozen=True)
class Profile:
    """Who the teacher is and how they answer; ``seed`` picks among the choices offered."""

    language: str  # "ru" or "kk"
    seed: int

    @property
    def language_button(self) -> str:
        return "Русский" if self.language == "ru" else "Қазақша"

    @property
    def position_query(self) -> str:
        return "учитель" if self.language == "ru" else "мугалим"  # kk typed on a ru keyboard

    @property
    def position(self) -> str:
        return (
            "Учителя всех специальностей"
            if self.language == "ru"
            else "Барлық мамандықтардың пән мұғалімдері"
        )

    @property
    def years(self) -> str:
        return ("1", "3", "5,5", "12")[self.seed % 4]

    def pick(self, question: str, options: list[str]) -> str:
        """A stable choice among ``options`` for this question (crc32: the same in every run)."""
        return options[(self.seed + zlib.crc32(question.encode())) % len(options)]

    def ticks(self, checklist: int) -> bool:
        """Tick everything on the ``checklist``-th checklist (1-based), or submit it empty."""
        return checklist <= 1 + (self.seed // 4) % 4


def profiles(count: int) -> list[Profile]:
    """``count`` profiles: both languages, 32 distinct ways through the dialog, repeated."""
    return [Profile("ru" if n % 2 == 0 else "kk", (n // 2) % 16) for n in range(count)]


@dataclass
class DialogRun:
    """What one teacher's dialog gave: the result text, and the time each step took."""

    profile: Profile
    user_id: int
    result: str | None = None
    steps: list[float] = field(default_factory=list)  # seconds from action to the bot's answer
    retries: int = 0
    error: str | None = None


class _StuckError(Exception):
    pass


async def play(
    user: UserDriver,
    profile: Profile,
    *,
    patience: float = 10.0,
    retries: int = 3,
    run: DialogRun | None = None,
) -> DialogRun:
    """Walk the whole assessment; ``run`` (a new one by default, or the caller's, to watch the
    steps as they happen) records the result text or the error.
    """
    run = run or DialogRun(profile, user.id)
    checklists = 0
    try:
        screen = await _act(user, run, lambda: user.send("/start"), patience, retries)
        for _ in range(MAX_STEPS):
            text = screen.text or ""
            if _is_result(screen):
                run.result = text
                return run
            action, counts = _decide(user, screen, profile, checklists)
            checklists += counts
            screen = await _act(user, run, action, patience, retries)
        raise _StuckError(f"no result after {MAX_STEPS} steps; screen: {screen.text!r}")
    except (_StuckError, TimeoutError, LookupError) as error:
        run.error = f"{type(error).__name__}: {error}"
        return run


def _restart(user: UserDriver) -> Callable[[], Awaitable[object]]:
    return lambda: user.send("/start")


def _is_result(message: BotMessage) -> bool:
    return any(mark in (message.text or "") for mark in RESULT_MARKS)


def _is_screen(message: BotMessage) -> bool:
    """A message the teacher acts on: a question with buttons, or the result.

    Notes without buttons ("Language: Russian", "please answer with the buttons") come before
    the screen they belong to and are not acted on.
    """
    return bool(message.buttons) or _is_result(message)


def _labels(screen: BotMessage) -> list[str]:
    return [button.text for row in screen.buttons for button in row]


def _decide(
    user: UserDriver, screen: BotMessage, profile: Profile, checklists: int
) -> tuple[object, int]:
    """The next action for this screen, and whether it submits a checklist (1) or not (0)."""
    text = screen.text or ""
    labels = _labels(screen)

    def press(label: str) -> object:
        button = screen.find_button(label)
        assert button is not None
        assert button.data is not None
        return lambda: user.press(button.data, screen)

    resume = next((label for label in labels if label.startswith("▶")), None)
    if resume is not None:  # after /start mid-dialog: continue where it stopped
        return press(resume), 0
    if LANGUAGE_PROMPT in text:
        return press(profile.language_button), 0
    if profile.position in labels:
        return press(profile.position), 0
    assessment = next((label for label in labels if label.startswith("📝")), None)
    if assessment is not None:
        return press(assessment), 0
    if "✖" in " ".join(labels):  # where do you work: organisations, or type a position
        return (lambda: user.send(profile.position_query)), 0
    done = next((label for label in labels if label.startswith("✔")), None)
    if done is not None:  # a checklist: tick all (once), then Done
        tick_all = next(label for label in labels if label.startswith("☑ "))
        unticked = any(label.startswith("☐") and label[2:].isdigit() for label in labels)
        if profile.ticks(checklists + 1) and unticked:
            return press(tick_all), 0
        return press(done), 1
    options = [label for label in labels if not label.startswith(NAVIGATION)]
    if options:
        question = text.rsplit("\n\n", 1)[-1]
        return press(profile.pick(question, options)), 0
    return (lambda: user.send(profile.years)), 0


async def _act(
    user: UserDriver, run: DialogRun, action: object, patience: float, retries: int
) -> BotMessage:
    """Do ``action`` and wait for the bot's answer: the next screen it sends or edits here.

    With no answer in ``patience`` seconds the update was lost (its bot process died), and the
    teacher does it again, as people do, up to ``retries`` times; pressing a button the bot has
    moved past makes it show the current step again.
    """
    assert callable(action)
    for attempt in range(retries + 1):
        started = time.perf_counter()
        try:
            await action()
        except ButtonNotFoundError:
            # The screen lost its buttons (the bot moved on, then failed before the next
            # question): start again, as people do; the bot offers to continue.
            action = _restart(user)
            await action()
        try:
            screen = await user.wait_for(_is_screen, timeout=patience)
        except TimeoutError:
            if attempt == retries:
                raise
            run.retries += 1
            continue
        run.steps.append(time.perf_counter() - started)
        return screen
    raise AssertionError("unreachable")

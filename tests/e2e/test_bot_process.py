"""The real `sanat bot` process against the project's local Bot API server, over loopback."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_asyncio

from testing.databases import copy_sqlite_database
from testing.telegram import BotMessage, LocalBotAPI, UserDriver

SANAT = Path(sys.executable).parent / "sanat"
STARTUP = 30.0
STEP = 10.0
# One process serves every test here (each plays its own user): starting `sanat bot` costs
# seconds of imports. The fixture and the tests share the module's event loop.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass
class BotProcess:
    api: LocalBotAPI
    env: dict[str, str]
    process: asyncio.subprocess.Process | None = None
    stderr: list[str] = field(default_factory=list)  # of every process that has ended

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            str(SANAT), "bot", env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        await self.api.wait_until_polling(timeout=STARTUP)

    async def kill(self) -> None:
        """SIGKILL: no chance to save anything on the way out."""
        assert self.process is not None
        self.process.kill()
        _, stderr = await self.process.communicate()
        self.stderr.append(stderr.decode())

    async def stop(self) -> str:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(self.process.communicate(), timeout=STARTUP)
        self.stderr.append(stderr.decode())
        return self.stderr[-1]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot_process(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> AsyncIterator[BotProcess]:
    database = tmp_path_factory.mktemp("e2e") / "sanat.db"
    async with LocalBotAPI() as api:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SANAT_")}
        env |= {
            "SANAT_BOT_TOKEN": api.token,
            "SANAT_BOT_API_SERVER": api.base_url,
            # migrated as by `sanat migrate` (tests/test_cli.py runs that command)
            "SANAT_DATABASE_URL": copy_sqlite_database(sqlite_template, database),
            "SANAT_LOG_LEVEL": "WARNING",
        }
        running = BotProcess(api, env)
        await running.start()
        try:
            yield running
        finally:
            if running.process and running.process.returncode is None:
                await running.stop()
            for stderr in running.stderr:  # the killed process's too
                assert "Traceback" not in stderr, stderr


async def shows(user: UserDriver, fragment: str) -> BotMessage:
    """Wait until the bot sends or edits a message containing ``fragment``."""
    return await user.wait_for(lambda message: fragment in (message.text or ""), timeout=STEP)


async def test_full_assessment_in_kazakh(bot_process: BotProcess) -> None:
    user = bot_process.api.user(2001, "Айгүл", language_code="kk")
    await user.send("/start")
    await shows(user, "Тілді таңдаңыз")
    await user.press("Қазақша")
    await shows(user, "Не істегіңіз келеді?")
    await user.press("📝 Өзін-өзі бағалау")
    await shows(user, "Қай жерде жұмыс істейсіз?")
    await user.send("мугалим")  # Kazakh typed on a Russian keyboard
    await shows(user, "бойынша лауазымдар")
    await user.press("Барлық мамандықтардың пән мұғалімдері")
    await shows(user, "Біліміңіз қандай?")
    await user.press("Жоғары")
    await shows(user, "педагогикалық па")
    await user.press("Иә")
    await shows(user, "өтіліңіз неше жыл?")
    await user.send("4 жыл")
    for _ in range(4):
        await shows(user, "белгілеп")
        await user.press("☑ Барлығын белгілеу")  # ticks every item; Done submits them
        await shows(user, "☑ 1")
        await user.press("✔ Дайын")
    result = await shows(user, "Бағалау:")
    assert "педагог-зерттеуші" in (result.text or "")
    assert "аттестаттау комиссиясының шешімі емес" in (result.text or "")
    assert result.find_button("📜 Тармақ мәтіні") is not None
    commands = bot_process.api.commands(language_code="kk")
    assert [c["command"] for c in commands][:4] == ["start", "menu", "courses", "news"]
    assert {"language", "cancel", "help"} <= {c["command"] for c in commands}
    # the curators' and staff's commands are only in their own chats' lists
    assert not {"broadcast", "channels", "duty"} & {c["command"] for c in commands}


async def test_restart_mid_dialog_stale_button_and_bad_input_in_russian(
    bot_process: BotProcess,
) -> None:
    user = bot_process.api.user(2002, "Иван", language_code="ru")
    await user.send("/start")
    await shows(user, "Выберите язык")
    await user.press("Русский")
    await shows(user, "Что вы хотите сделать?")
    await user.press("📝 Самооценка")
    await shows(user, "Где вы работаете?")
    await user.send("учитель")
    await shows(user, "Должности по запросу")
    await user.press("Учителя всех специальностей")
    education = await shows(user, "Какое у вас образование?")

    await bot_process.kill()  # mid-dialog, no clean shutdown
    await bot_process.start()

    await user.press("Высшее", message=education)
    await shows(user, "педагогическое")  # continued at the same step after the restart
    await user.press("Да")
    years_question = await shows(user, "Сколько лет")
    await user.send("много")
    await shows(user, "Введите число лет")
    await user.send("/nonsense")
    await shows(user, "Неизвестная команда")
    await user.send("5,5")
    await shows(user, "Требования к категории «педагог»")

    await user.send("/start")
    await shows(user, "незавершённая самооценка")
    await user.press("🔁 Начать заново")
    await shows(user, "Где вы работаете?")
    await user.press("⬅ Назад", message=years_question)  # a button of the abandoned dialog
    answer = await bot_process.api.wait_for_call(
        "answerCallbackQuery",
        lambda call: "из более раннего" in str(call.params.get("text")),
        timeout=STEP,
    )
    assert answer.params.get("show_alert") in (True, "true")
    await shows(user, "Где вы работаете?")  # and the current step again


async def test_university_self_check_twice_in_kazakh(bot_process: BotProcess) -> None:
    user = bot_process.api.user(2003, "Данияр", language_code="kk")
    await user.send("/start")
    await shows(user, "Тілді таңдаңыз")
    await user.press("Қазақша")
    await shows(user, "Не істегіңіз келеді?")
    await user.press("📝 Өзін-өзі бағалау")
    await shows(user, "Қай жерде жұмыс істейсіз?")
    await user.press("🎓 ЖЖОКБҰ (профессор-оқытушылар құрамы)")
    await shows(user, "3-5 карточкаларды")
    await user.press("4. Білім саласындағы оқытушы, қауымдастырылған профессор (д…")
    for n in range(1, 11):
        await shows(user, f"10 тармақтың {n}-і")
        await user.press("Ішінара" if n <= 5 else "Сенімдімін")
    first = await shows(user, "Өзін-өзі тексеру нәтижесі: 4-карточка")
    assert "Балл: 30 ішінен 15." in (first.text or "")
    assert "Дамыту қажет салалар" in (first.text or "")
    await user.press("🔁 Қайта тексеру")
    for n in range(1, 11):
        await shows(user, f"10 тармақтың {n}-і")
        await user.press("Басқаларды үйрете аламын")
    second = await shows(user, "Алдыңғы өзін-өзі тексерумен салыстырғанда: 15 → 30.")
    assert "санаттар сатысына" in (second.text or "")


async def test_university_self_check_twice_in_russian(bot_process: BotProcess) -> None:
    user = bot_process.api.user(2004, "Ольга", language_code="ru")
    await user.send("/start")
    await shows(user, "Выберите язык")
    await user.press("Русский")
    await shows(user, "Что вы хотите сделать?")
    await user.press("📝 Самооценка")
    await shows(user, "Где вы работаете?")
    await user.press("🎓 Вуз (профессорско-преподавательский состав)")
    await shows(user, "карточки 3-5")
    await user.press("5. Преподаватель в сфере образования, профессор, ОВПО (рабо…")
    for n in range(1, 11):
        await shows(user, f"пункт {n} из 10")
        await user.press("Частично" if n <= 5 else "Уверенно")
    first = await shows(user, "Результат самопроверки: карточка 5")
    assert "Баллы: 15 из 30." in (first.text or "")
    assert "Зоны развития" in (first.text or "")
    await user.press("🔁 Проверить снова")
    for n in range(1, 11):
        await shows(user, f"пункт {n} из 10")
        await user.press("Могу научить других")
    second = await shows(user, "По сравнению с предыдущей самопроверкой: 15 → 30.")
    assert "лестнице категорий" in (second.text or "")

"""Everything the bot itself says, in B1 Dutch first, with translations.

Dialogue texts live in the dialogue files; these are the bot's own words.
A missing translation falls back to Dutch.
"""

from __future__ import annotations

from types import MappingProxyType

from bot.localise import localise

__all__ = ["LANGUAGE_NAMES", "SYSTEM_LANGUAGES", "say"]

#: Languages the participant can pick; names in their own language.
LANGUAGE_NAMES = MappingProxyType(
    {"nl": "Nederlands", "en": "English", "tr": "Türkçe", "pl": "Polski", "uk": "Українська",
     "ar": "العربية"}
)
SYSTEM_LANGUAGES = tuple(LANGUAGE_NAMES)

_TEXTS: dict[str, dict[str, str]] = {
    "welcome": {
        "nl": "Hoi! Ik ben Praatmee. Jouw gemeente wil weten wat jij vindt. "
        "Je blijft anoniem. Je kunt altijd stoppen.",
        "en": "Hi! I am Praatmee. Your municipality wants to know what you think. "
        "You stay anonymous. You can stop at any time.",
    },
    "ask_municipality": {
        "nl": "In welke gemeente woon je?",
        "en": "Which municipality do you live in?",
    },
    "unknown_code": {
        "nl": "Deze link ken ik niet. Misschien is hij oud of niet helemaal goed. "
        "Geen probleem: kies hieronder je gemeente.",
        "en": "I do not know this link. Maybe it is old or not quite right. "
        "No problem: choose your municipality below.",
    },
    "menu": {
        "nl": "Waar wil je over praten? Kies een onderwerp.",
        "en": "What would you like to talk about? Choose a topic.",
    },
    "menu_empty": {
        "nl": "Je hebt alle gesprekken gedaan. Dank je wel! Je kunt ook zelf iets aankaarten.",
        "en": "You have done all the talks. Thank you! You can also raise something yourself.",
    },
    "raise_topic_option": {"nl": "Iets aankaarten", "en": "Raise something"},
    "ask_topic": {
        "nl": "Waar wil je iets over zeggen? Schrijf het in één bericht. "
        "Noem geen namen of adressen.",
        "en": "What would you like to say something about? Write it in one message. "
        "Do not use names or addresses.",
    },
    "topic_thanks": {
        "nl": "Dank je! Je onderwerp gaat naar de gemeente. Zonder je naam.",
        "en": "Thank you! Your topic goes to the municipality. Without your name.",
    },
    "topic_empty": {
        "nl": "Ik zag geen tekst. Schrijf je onderwerp in een bericht.",
        "en": "I did not see any text. Write your topic in a message.",
    },
    "help": {
        "nl": "Zo werkt het: kies een onderwerp en beantwoord een paar korte vragen. "
        "Typ 'stop' om te stoppen, 'privacy' om te lezen wat we bewaren, "
        "'vergeet mij' om alles te wissen, 'taal' voor een andere taal, "
        "'opnieuw' om opnieuw te beginnen.",
        "en": "How it works: choose a topic and answer a few short questions. "
        "Type 'stop' to stop, 'privacy' to read what we keep, "
        "'forget me' to erase everything, 'language' for another language, "
        "'restart' to start again.",
        "tr": "Nasıl çalışır: bir konu seç ve birkaç kısa soruyu cevapla. "
        "Durmak için 'stop', silmek için 'vergeet mij' yaz.",
        "pl": "Jak to działa: wybierz temat i odpowiedz na kilka krótkich pytań. "
        "Napisz 'stop', aby zakończyć, 'vergeet mij', aby wszystko usunąć.",
        "uk": "Як це працює: обери тему і дай відповідь на кілька коротких питань. "
        "Напиши 'stop', щоб зупинитися, 'vergeet mij', щоб усе видалити.",
        "ar": "كيف يعمل: اختر موضوعًا وأجب عن بعض الأسئلة القصيرة. "
        "اكتب 'stop' للتوقف، و'vergeet mij' لحذف كل شيء.",
    },
    "privacy": {
        "nl": "Je bent anoniem. We weten je naam en nummer niet. "
        "Je antwoorden krijgen een code in plaats van je naam. "
        "Namen, nummers en adressen in je tekst halen we eruit voordat we iets bewaren. "
        "De gemeente ziet alleen wat groepen van minstens 5 mensen zeggen. "
        "Typ 'vergeet mij' en we wissen alles van jou.",
        "en": "You are anonymous. We do not know your name or number. "
        "Your answers get a code instead of your name. "
        "We remove names, numbers and addresses from your text before we keep anything. "
        "The municipality only sees what groups of at least 5 people say. "
        "Type 'forget me' and we erase everything about you.",
        "tr": "Anonimsin. Adını ve numaranı bilmiyoruz. Belediye sadece en az 5 kişilik "
        "grupların ne dediğini görür. Her şeyi silmek için 'vergeet mij' yaz.",
        "pl": "Jesteś anonimowy. Nie znamy twojego imienia ani numeru. Gmina widzi tylko "
        "odpowiedzi grup co najmniej 5 osób. Napisz 'vergeet mij', aby wszystko usunąć.",
        "uk": "Ти анонімний. Ми не знаємо твого імені чи номера. Громада бачить лише відповіді "
        "груп щонайменше з 5 людей. Напиши 'vergeet mij', щоб усе видалити.",
        "ar": "أنت مجهول الهوية. لا نعرف اسمك أو رقمك. البلدية ترى فقط ما تقوله مجموعات "
        "من 5 أشخاص على الأقل. اكتب 'vergeet mij' لحذف كل شيء.",
    },
    "confirm_forget": {
        "nl": "Wil je dat we alles van jou wissen? Dit kan niet terug.",
        "en": "Do you want us to erase everything about you? This cannot be undone.",
        "tr": "Senin hakkındaki her şeyi silmemizi istiyor musun? Bu geri alınamaz.",
        "pl": "Czy mamy usunąć wszystko o tobie? Tego nie można cofnąć.",
        "uk": "Хочеш, щоб ми видалили все про тебе? Це не можна скасувати.",
        "ar": "هل تريد أن نحذف كل شيء عنك؟ لا يمكن التراجع عن ذلك.",
    },
    "forgotten": {
        "nl": "Klaar. We hebben alles van jou gewist. Je krijgt geen berichten meer. "
        "Stuur 'start' als je ooit weer mee wilt doen.",
        "en": "Done. We erased everything about you. You will get no more messages. "
        "Send 'start' if you ever want to join again.",
        "tr": "Tamam. Senin hakkındaki her şeyi sildik. Artık mesaj almayacaksın.",
        "pl": "Gotowe. Usunęliśmy wszystko o tobie. Nie dostaniesz już wiadomości.",
        "uk": "Готово. Ми видалили все про тебе. Ти більше не отримуватимеш повідомлень.",
        "ar": "تم. حذفنا كل شيء عنك. لن تصلك رسائل بعد الآن.",
    },
    "not_forgotten": {
        "nl": "Oké, we wissen niets. We gaan verder.",
        "en": "Okay, we erase nothing. Let us continue.",
    },
    "confirm_stop": {
        "nl": "Wil je stoppen? Dan sturen we je geen berichten meer.",
        "en": "Do you want to stop? Then we will not send you any more messages.",
        "tr": "Durmak istiyor musun? O zaman sana artık mesaj göndermeyiz.",
        "pl": "Chcesz zakończyć? Wtedy nie wyślemy ci więcej wiadomości.",
        "uk": "Хочеш зупинитися? Тоді ми більше не надсилатимемо тобі повідомлень.",
        "ar": "هل تريد التوقف؟ لن نرسل لك رسائل بعد الآن.",
    },
    "stopped": {
        "nl": "Je bent gestopt. Je krijgt geen berichten meer van ons. "
        "Je antwoorden blijven anoniem bewaard. Wil je die ook wissen? Typ 'vergeet mij'. "
        "Stuur 'start' als je weer mee wilt doen.",
        "en": "You have stopped. You will get no more messages from us. "
        "Your answers stay stored anonymously. Want to erase them too? Type 'forget me'. "
        "Send 'start' if you want to join again.",
        "tr": "Durdun. Artık bizden mesaj almayacaksın. Tekrar katılmak için 'start' yaz.",
        "pl": "Zakończyłeś. Nie dostaniesz od nas więcej wiadomości. Napisz 'start', aby wrócić.",
        "uk": "Ти зупинився. Ти більше не отримуватимеш від нас повідомлень. "
        "Напиши 'start', щоб повернутися.",
        "ar": "لقد توقفت. لن تصلك رسائل منا بعد الآن. اكتب 'start' للعودة.",
    },
    "still_stopped": {
        "nl": "Je bent gestopt. Stuur 'start' als je weer mee wilt doen.",
        "en": "You have stopped. Send 'start' if you want to join again.",
    },
    "not_stopped": {"nl": "Fijn dat je blijft!", "en": "Glad you are staying!"},
    "restarted": {"nl": "We beginnen opnieuw.", "en": "Let us start again."},
    "welcome_back": {
        "nl": "Welkom terug! We gaan verder waar je was.",
        "en": "Welcome back! Let us continue where you were.",
    },
    "ask_language": {"nl": "Welke taal wil je?", "en": "Which language do you want?"},
    "language_set": {"nl": "Oké, we praten Nederlands.", "en": "Okay, we will talk in English."},
    "unsupported": {
        "nl": "Ik kan alleen tekst lezen. Foto's, spraak en bestanden bewaar ik niet. "
        "Wil je het in een bericht typen?",
        "en": "I can only read text. I do not keep photos, voice messages or files. "
        "Could you type it in a message?",
    },
    "edited": {
        "nl": "Je hebt een bericht aangepast. Je eerdere antwoord blijft staan.",
        "en": "You edited a message. Your earlier answer stays as it was.",
    },
    "stale_choice": {
        "nl": "Die knop hoort bij een eerdere vraag. Dit is de vraag van nu:",
        "en": "That button belongs to an earlier question. This is the current question:",
    },
    "pick_option": {
        "nl": "Kies een van de knoppen, of typ het nummer.",
        "en": "Choose one of the buttons, or type the number.",
    },
    "pick_options": {
        "nl": "Kies een of meer antwoorden. Typ de nummers, bijvoorbeeld: 1 3",
        "en": "Choose one or more answers. Type the numbers, for example: 1 3",
    },
    "too_many_options": {
        "nl": "Kies er niet meer dan {n}.",
        "en": "Choose no more than {n}.",
    },
    "pick_yes_no": {"nl": "Kies ja of nee.", "en": "Choose yes or no."},
    "pick_scale": {
        "nl": "Kies een cijfer van 1 tot en met 5.",
        "en": "Choose a number from 1 to 5.",
    },
    "give_number": {
        "nl": "Typ een getal van {min} tot en met {max}.",
        "en": "Type a number from {min} to {max}.",
    },
    "too_long": {
        "nl": "Je bericht is te lang. Kun je het korter maken? Hooguit {n} tekens.",
        "en": "Your message is too long. Can you make it shorter? At most {n} characters.",
    },
    "empty_text": {"nl": "Ik zag geen tekst. Typ je antwoord.", "en": "I saw no text. Type your answer."},
    "skip": {"nl": "Overslaan", "en": "Skip"},
    "yes": {"nl": "Ja", "en": "Yes", "tr": "Evet", "pl": "Tak", "uk": "Так", "ar": "نعم"},
    "no": {"nl": "Nee", "en": "No", "tr": "Hayır", "pl": "Nie", "uk": "Ні", "ar": "لا"},
    "scale_hint": {"nl": "1 = {low}, 5 = {high}", "en": "1 = {low}, 5 = {high}"},
    "multi_done": {"nl": "Klaar", "en": "Done"},
    "human": {
        "nl": "Dit gesprek is met een computer. Niemand leest live mee. "
        "Wil je met een mens praten? Bel of chat gratis met De Kindertelefoon: 0800-0432. "
        "Voor vragen aan de gemeente: bel 14 + het netnummer van je gemeente.",
        "en": "You are talking to a computer. Nobody reads along live. "
        "Want to talk to a person? Call or chat for free with De Kindertelefoon: 0800-0432. "
        "For questions to the municipality: call 14 + your municipality's area code.",
    },
    "thanks_reply": {"nl": "Graag gedaan!", "en": "You are welcome!"},
    "goodbye_reply": {
        "nl": "Doei! Je kunt altijd terugkomen.",
        "en": "Bye! You can always come back.",
    },
    "slow_down": {
        "nl": "Rustig aan, ik kan niet zo snel lezen. Wacht even en stuur dan je antwoord.",
        "en": "Slow down, I cannot read that fast. Wait a moment, then send your answer.",
    },
    "paused": {
        "nl": "Even pauze. Je kunt over een tijdje weer verder.",
        "en": "Short break. You can continue in a little while.",
    },
    "dialogue_unavailable": {
        "nl": "Dit gesprek is er niet meer. Kies een ander onderwerp.",
        "en": "This talk is no longer available. Choose another topic.",
    },
}


def say(key: str, lang: str, **values: object) -> str:
    """The text ``key`` in ``lang`` (Dutch if there is no translation), filled in."""
    return localise(_TEXTS, key, lang, **values)

"""Every word the digest prints, in Dutch (B1) and English."""

from __future__ import annotations

from bot.localise import localise

__all__ = ["STATUS", "TEXTS", "t"]

TEXTS: dict[str, dict[str, str]] = {
    "subject": {
        "nl": "Praatmee weekoverzicht {week}: {names}",
        "en": "Praatmee weekly digest {week}: {names}",
    },
    "title": {"nl": "Weekoverzicht {name}", "en": "Weekly digest {name}"},
    "week": {"nl": "Week {week} ({start} t/m {end})", "en": "Week {week} ({start} to {end})"},
    "privacy": {
        "nl": "Je ziet alleen groepen van {k} of meer mensen. Kleinere groepen staan er als „minder dan {k}”. "
        "Je ziet nooit wie wat zei.",
        "en": "You only see groups of {k} or more people. Smaller groups are shown as “fewer than {k}”. "
        "You never see who said what.",
    },
    "headline": {"nl": "De cijfers van deze week", "en": "This week's figures"},
    "trend_note": {
        "nl": "Met de {weeks} laatste weken, de oudste eerst. Het verschil is met vorige week.",
        "en": "With the last {weeks} weeks, oldest first. The change is from last week.",
    },
    "figure": {"nl": "Cijfer", "en": "Figure"},
    "this_week": {"nl": "Deze week", "en": "This week"},
    "change": {"nl": "Verschil", "en": "Change"},
    "change_long": {"nl": "verschil met vorige week", "en": "change from last week"},
    "hidden": {"nl": "minder dan {k}", "en": "fewer than {k}"},
    "unique": {"nl": "Deelnemers", "en": "Participants"},
    "returning": {"nl": "Deelnemers die terugkwamen", "en": "Returning participants"},
    "answers": {"nl": "Antwoorden", "en": "Answers"},
    "topics": {"nl": "Onderwerpen van deelnemers zelf", "en": "Topics raised by participants"},
    "suggestions": {"nl": "Ideeën en suggesties", "en": "Ideas and suggestions"},
    "useful": {"nl": "Suggesties die de gemeente nuttig vond", "en": "Suggestions found useful"},
    "initiatives": {"nl": "Initiatieven die de gemeente steunt", "en": "Initiatives supported"},
    "completion": {"nl": "Maakte het gesprek af", "en": "Finished the dialogue"},
    "started": {"nl": "Deelnemers aan dit gesprek", "en": "Participants in this dialogue"},
    "dialogues": {"nl": "Per gesprek", "en": "Per dialogue"},
    "no_dialogues": {
        "nl": "Deze week waren er geen gesprekken met {k} of meer deelnemers.",
        "en": "This week no dialogue had {k} or more participants.",
    },
    "too_few": {
        "nl": "Te weinig deelnemers om antwoorden te laten zien.",
        "en": "Too few participants to show answers.",
    },
    "respondents": {"nl": "{n} mensen gaven antwoord", "en": "{n} people answered"},
    "multiple": {
        "nl": "Meer antwoorden mogelijk, dus de procenten tellen op tot meer dan 100.",
        "en": "More than one answer allowed, so the percentages add up to more than 100.",
    },
    "option": {"nl": "Antwoord", "en": "Answer"},
    "people": {"nl": "Mensen", "en": "People"},
    "share": {"nl": "Deel", "en": "Share"},
    "last_week": {"nl": "Vorige week", "en": "Last week"},
    "themes": {
        "nl": "Waar de open antwoorden over gingen",
        "en": "What the open answers were about",
    },
    "no_themes": {
        "nl": "Geen thema's met {k} of meer mensen.",
        "en": "No themes with {k} or more people.",
    },
    "quotes": {"nl": "In hun eigen woorden", "en": "In their own words"},
    "no_quotes": {
        "nl": "Nog geen citaten goedgekeurd. Keur ze goed met: praatmee review.",
        "en": "No quotes approved yet. Approve them with: praatmee review.",
    },
    "changes": {"nl": "Wat veranderde sinds vorige week", "en": "What changed since last week"},
    "no_changes": {
        "nl": "Geen grote verschillen met vorige week.",
        "en": "No big differences from last week.",
    },
    "change_line": {
        "nl": "{question} „{option}”: {now}% (vorige week {before}%)",
        "en": "{question} “{option}”: {now}% (last week {before}%)",
    },
    "new_topics": {
        "nl": "Nieuwe onderwerpen van deelnemers",
        "en": "New topics raised by participants",
    },
    "topic_count": {"nl": "Onderwerpen deze week: {n}", "en": "Topics this week: {n}"},
    "feedback": {"nl": "Terugkoppeling aan deelnemers", "en": "Feedback to participants"},
    "no_feedback": {
        "nl": "Deze week is er geen terugkoppeling gegeven. Geef die met: praatmee feedback.",
        "en": "No feedback was given this week. Give it with: praatmee feedback.",
    },
    "reached": {"nl": "Bereikt", "en": "Reached"},
    "queued": {"nl": "Verstuurd aan", "en": "Sent to"},
    "target": {"nl": "Over", "en": "About"},
    "status": {"nl": "Besluit", "en": "Decision"},
    "theme": {"nl": "Thema", "en": "Theme"},
    "csv_note": {
        "nl": "De tabellen staan ook in de bijlage digest.csv.",
        "en": "The tables are also in the attachment digest.csv.",
    },
    "chart_alt": {
        "nl": "Staafdiagram: {question}. De tabel ernaast geeft dezelfde cijfers.",
        "en": "Bar chart: {question}. The table next to it has the same figures.",
    },
    "scope": {"nl": "Alleen: {what}", "en": "Only: {what}"},
    "footer": {
        "nl": "Je krijgt dit overzicht omdat je bent aangemeld voor Praatmee. Afmelden? Vraag de beheerder.",
        "en": "You get this digest because you are subscribed to Praatmee. To stop, ask the administrator.",
    },
}

STATUS: dict[str, dict[str, str]] = {
    "adopted": {"nl": "overgenomen", "en": "adopted"},
    "in_progress": {"nl": "mee bezig", "en": "in progress"},
    "not_now": {"nl": "nu niet", "en": "not now"},
}


def t(key: str, lang: str, **values: object) -> str:
    return localise(TEXTS, key, lang, **values)

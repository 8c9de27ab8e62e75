"""What the bot says about groups, to members and coaches (B1 Dutch, with English)."""

from __future__ import annotations

from bot.localise import localise

__all__ = ["TEXTS", "t"]

TEXTS: dict[str, dict[str, str]] = {
    # --- members ---
    "joined": {
        "nl": "Je doet nu mee met de groep {name}. Soms krijg je een korte vraag van je coach. "
              "Hoogstens 2 per week, nooit 's avonds laat. Niemand ziet wat jij antwoordt. "
              "Stoppen? Tik op Groep verlaten onder een vraag, of typ /verlaten.",
        "en": "You are now in the group {name}. Now and then your coach sends a short question. "
              "At most 2 a week, never late at night. Nobody sees what you answer. "
              "To leave: tap Leave group under a question, or type /verlaten.",
    },
    "already_member": {"nl": "Je zit al in de groep {name}.", "en": "You are already in the group {name}."},
    "leave_button": {"nl": "Groep verlaten", "en": "Leave group"},
    "left": {
        "nl": "Je zit niet meer in de groep {name}. Je krijgt geen vragen meer van deze groep.",
        "en": "You left the group {name}. You will get no more questions from this group.",
    },
    "leave_which": {"nl": "Welke groep wil je verlaten?", "en": "Which group do you want to leave?"},
    "no_groups": {"nl": "Je zit in geen enkele groep.", "en": "You are not in any group."},
    "not_member": {"nl": "Je zit niet (meer) in deze groep.", "en": "You are not in this group (any more)."},
    "prompt": {"nl": "📊 Vraag uit je groep {name}:\n\n{question}", "en": "📊 A question from your group {name}:\n\n{question}"},
    "prompt_open_hint": {"nl": "Tik op Antwoorden en typ je antwoord.", "en": "Tap Answer and type your answer."},
    "answer_button": {"nl": "✍️ Antwoorden", "en": "✍️ Answer"},
    "type_answer": {"nl": "Typ je antwoord maar. Noem geen namen of adressen.",
                    "en": "Type your answer. Please leave out names and addresses."},
    "answer_thanks": {"nl": "Dank je! Je antwoord telt mee. 🙌", "en": "Thank you! Your answer counts. 🙌"},
    "answer_closed": {"nl": "Deze vraag is al beantwoord of gesloten.", "en": "This question is answered or closed."},
    # --- coaches ---
    "not_a_coach": {
        "nl": "Deze opdracht is alleen voor coaches van een groep. Ben je coach? Stuur dan je "
              "uitnodigingscode (COACH-…). Wil je gewoon meepraten? Typ /start.",
        "en": "This command is only for group coaches. Are you a coach? Send your invite code "
              "(COACH-…). Just want to join in? Type /start.",
    },
    "bad_invite": {
        "nl": "Deze code werkt niet (meer). Een code werkt maar één keer. Vraag de gemeente om een nieuwe.",
        "en": "This code does not work (any more). A code works only once. Ask the municipality for a new one.",
    },
    "coach_welcome": {
        "nl": "Welkom, coach van {name}! Je opdrachten:\n/peiling – stuur je groep een korte vraag\n"
              "/resultaten – zie de uitkomsten (alleen groepjes van 5 of meer)\n/groepen – je groepen\n"
              "/uitnodiging – een nieuwe link voor je groep\nJe ziet nooit wie wat antwoordde.",
        "en": "Welcome, coach of {name}! Your commands:\n/peiling – send your group a short question\n"
              "/resultaten – see the results (only groups of 5 or more)\n/groepen – your groups\n"
              "/uitnodiging – a new link for your group\nYou never see who answered what.",
    },
    "ask_question": {"nl": "Wat wil je vragen? Typ je vraag (kort en duidelijk).",
                     "en": "What do you want to ask? Type your question (short and clear)."},
    "question_too_long": {"nl": "Maak je vraag korter (hoogstens 300 tekens).",
                          "en": "Please make your question shorter (300 characters at most)."},
    "ask_options": {
        "nl": "Welke antwoorden kunnen ze kiezen? Typ antwoord 1. Of tik op Open vraag.",
        "en": "Which answers can they pick? Type answer 1. Or tap Open question.",
    },
    "ask_more_options": {
        "nl": "Antwoord {n} staat erin. Typ het volgende antwoord (hoogstens 4), of tik op Klaar.",
        "en": "Answer {n} is in. Type the next answer (4 at most), or tap Done.",
    },
    "need_two": {"nl": "Typ nog een antwoord: je hebt er minstens 2 nodig.",
                 "en": "Type one more answer: you need at least 2."},
    "option_too_long": {"nl": "Maak dit antwoord korter (hoogstens 24 tekens).",
                        "en": "Make this answer shorter (24 characters at most)."},
    "open_button": {"nl": "Open vraag", "en": "Open question"},
    "done_button": {"nl": "Klaar", "en": "Done"},
    "ask_group": {"nl": "Naar welke groep?", "en": "To which group?"},
    "ask_when": {"nl": "Wanneer versturen?", "en": "When should it go out?"},
    "now_button": {"nl": "Nu", "en": "Now"},
    "later_button": {"nl": "Op een tijd", "en": "At a time"},
    "ask_time": {
        "nl": "Typ dag en tijd, bijvoorbeeld: morgen 16:00, vr 15:30 of 28-11 16:00.",
        "en": "Type day and time, for example: morgen 16:00, vr 15:30 or 28-11 16:00.",
    },
    "bad_time": {"nl": "Die tijd snap ik niet, of hij is al voorbij. Probeer: morgen 16:00.",
                 "en": "I don't understand that time, or it has passed. Try: morgen 16:00."},
    "preview": {
        "nl": "Zo ziet je vraag eruit:\n\n{question}\n{options}\n\nGroep: {name} ({members} leden)\n"
              "Op tijd: {now} · later (rustregels): {later} · niet (te vaak gevraagd): {never}\n"
              "Versturen?",
        "en": "This is your question:\n\n{question}\n{options}\n\nGroup: {name} ({members} members)\n"
              "On time: {now} · later (rest rules): {later} · not at all (asked too often): {never}\n"
              "Send it?",
    },
    "open_marker": {"nl": "(open vraag)", "en": "(open question)"},
    "send_button": {"nl": "Versturen", "en": "Send"},
    "cancel_button": {"nl": "Annuleren", "en": "Cancel"},
    "sent": {"nl": "Verstuurd! {now} leden krijgen hem nu, {later} later. Uitkomsten: /resultaten",
             "en": "Sent! {now} members get it now, {later} later. Results: /resultaten"},
    "scheduled": {"nl": "Ingepland voor {when}. Uitkomsten: /resultaten",
                  "en": "Scheduled for {when}. Results: /resultaten"},
    "awaiting_approval": {
        "nl": "Je vraag wacht op goedkeuring door de gemeente. Daarna gaat hij vanzelf weg.",
        "en": "Your question waits for approval by the municipality. Then it goes out by itself.",
    },
    "cancelled": {"nl": "Gestopt. Er is niets verstuurd.", "en": "Stopped. Nothing was sent."},
    "not_your_group": {"nl": "Die groep is niet van jou. Kies een van je eigen groepen.",
                       "en": "That group is not yours. Pick one of your own groups."},
    "no_prompts": {"nl": "Je hebt nog geen vragen gestuurd. Begin met /peiling.",
                   "en": "You have not sent any questions yet. Start with /peiling."},
    "results_head": {"nl": "Uitkomsten van je laatste vragen (groepjes onder 5 zie je niet):",
                     "en": "Results of your latest questions (groups under 5 are hidden):"},
    "results_prompt": {"nl": "„{question}” – {name}, {status}\nAntwoorden: {answered} van {recipients}",
                       "en": "“{question}” – {name}, {status}\nAnswers: {answered} of {recipients}"},
    "few": {"nl": "minder dan {k}", "en": "fewer than {k}"},
    "open_answers": {"nl": "Open antwoorden lees je in het overzicht van de gemeente.",
                     "en": "Open answers are in the municipality's summary."},
    "status_awaiting": {"nl": "wacht op goedkeuring", "en": "awaiting approval"},
    "status_queued": {"nl": "wordt verstuurd", "en": "being sent"},
    "status_sent": {"nl": "verstuurd", "en": "sent"},
    "status_rejected": {"nl": "niet goedgekeurd", "en": "not approved"},
    "groups_line": {"nl": "• {name} ({domain}, {municipality}): {members} leden\n  Link: {link}",
                    "en": "• {name} ({domain}, {municipality}): {members} members\n  Link: {link}"},
    "invite": {
        "nl": "Nieuwe link voor {name} (de oude werkt niet meer):\n{link}\n"
              "Een QR-code maakt de beheerder met: praatmee groups qr --group {group_id}",
        "en": "New link for {name} (the old one stops working):\n{link}\n"
              "The admin makes a QR code with: praatmee groups qr --group {group_id}",
    },
    "topic_notice": {
        "nl": "Iemand uit je groep {name} bracht een eigen onderwerp in{themes}. Deze week: {count}. "
              "Het gaat naar de gemeente; wie het was, weet niemand.",
        "en": "Someone in your group {name} raised a topic{themes}. This week: {count}. "
              "It goes to the municipality; nobody knows who it was.",
    },
}


def t(key: str, lang: str, **values: object) -> str:
    return localise(TEXTS, key, lang, **values)

# ruff: noqa: SIM905  -- word lists read best as whitespace-separated text
"""Short-word lexicons for chat messages: the words a statistical detector gets wrong.

Statistical detectors need a few dozen characters; chat answers are often one or two
words ("ja", "idk", "tak", "evet"). These sets hold function words and chat tokens that
point to one language. A word may sit in two sets (then it counts for both).
"""

from __future__ import annotations

__all__ = ["ARABIZI", "LEXICON", "OTHER", "SAME_IN_NL_AND_EN", "UNIVERSAL"]

#: Tokens every language here uses in chat: they carry no language (langid guidelines).
UNIVERSAL: frozenset[str] = frozenset(
    """
    ok oke oké okay okey okk okok k kk kay hey heyy heyyy yo yoo bro broo bruh wow omg
    hmm hmmm hm mm mmm pff pfff pf uh uhm ehm eh ah oh ohh oeh huh lol lool lmao lmfao rofl xd
    xdd haha hahaha hahahaha hehe hihi jaja jajaja wallah wallahi inshallah inshalla insha'allah
    mashallah hamdullah alhamdulillah bismillah habibi yalla sorry sry top nice cool super
    """.split()
)

#: Words written the same in Dutch and English and sent alone as a command: on their own
#: a fluent reader cannot name the language ("stop" from a Dutch participant is Dutch).
#: Inside a sentence they count as usual ("stop alsjeblieft" nl, "please stop" en).
SAME_IN_NL_AND_EN: frozenset[str] = frozenset("stop help start privacy info menu".split())

#: Words of languages the bot does not speak; a sentence carried by them is "unknown".
OTHER: frozenset[str] = frozenset(
    """
    ich nicht verstehe das ist und bin habe kein keine danke bitte warum wie nein genau
    entiendo nada que estoy tengo quiero hola gracias porque pero muy bueno donde usted
    je suis pas merci oui bonjour comprends pourquoi
    """.split()
)

_NL = """
ik je jij jou jouw u uw we wij ze zij hij het de een en is ben bent zijn was waren heb hb
hebt heeft hebben had kan kun kunt kunnen wil wilt willen mag moet moeten ga gaat gaan
doe doet doen weet weten zeg zegt vind vindt voel niet nie niks geen wat wie waar wanneer
waarom hoe welke dit dat deze die er hier daar nu ook nog al maar want dus of als dan
met voor van naar bij op in uit aan over om tot zonder door mijn mn m'n mij me je jullie ons
onze hun haar zn z'n zo heel erg echt egt eg gwn gewoon ff effe even wrm wss sws idd wnr
nvm ofz enzo mss misschien ja jaa jaaa jaaaa jah jup jep jawel ne nee neee neuh
tuurlijk natuurlijk zeker prima goed slecht leuk saai chill moeilijk makkelijk hoi hallo
hoii doei dag dankje dankjewel bedankt dank graag alsjeblieft aub
mattie fawaka doekoe osso sahbi wollah skeer waggie spannend meer minder vaak altijd nooit
soms iemand niemand iets niets alles mensen school thuis mama papa ouders vader moeder
broer zus vrienden vriend vriendin geld werk stage huis buurt gemeente
snap snapt begrijp klopt precies inderdaad tog toch wel hè he hé
geen-zin zin vandaag morgen gisteren week jaar
""".split()

_EN = """
i im i'm ive i've id i'd my me mine you your youre you're u ur he she it its it's we our
they their them the a an is are was were am be been being have has had do does did dont
don't doesnt didnt cant can't can could would should will wont won't not no nope yes yeah
yep yup ya sure what who where when why how which this that these those there here now
also just but because so if then with for of to from at on in out about into up down
please pls plz thanks thank thx ty tysm hello hi bye goodbye see later idk idc brb tbh ngl
fr lowkey highly gotta wanna gonna kinda sorta dunno nah anyone someone nobody everyone
nothing something everything really very too much many more less again today tomorrow
yesterday good bad fine great need want like know think feel get got go going help stop
talk speak english real person people question questions answer answers way fair wait
""".split()

_TR = """
ben sen o biz siz onlar bu şu ne neden niye nasıl nasil kim nerede nerde burda burada mi mı
mu mü var yok evet hayır hayir tamam tamamdır peki lütfen lutfen teşekkürler tesekkurler
teşekkür tesekkur sağol sagol sağ ol merhaba selam selamlar nasılsın nasilsin iyi kötü
değil degil çok cok için icin ama ve ile gibi daha hiç hic kanka abla istiyorum istemiyorum
anlamadım anlamadim anladım anladim biliyorum bilmiyorum yardım yardim lazım lazim
türkçe turkce konuşabilir konusabilir miyiz misin benim bana beni bunu şimdi simdi artık
artik okul okulda evde param bilgilerimi silin mesaj göndermeyin hep geç gec
""".split()

_PL = """
nie tak jak to jest czy co kto gdzie kiedy dlaczego mam masz ma mamy jestem jesteś jestes
się sie mi mnie moje moja mój moj twoje dla na do od za po przez bez ze że ale albo lub
dzięki dzieki dziękuję dziekuje proszę prosze cześć czesc siema pomocy pomoc pomóż
pomoz wiem rozumiem chce chcę mogę moge możesz mozesz pisać pisac polsku polski
więcej wiecej wiadomości wiadomosci dane usuńcie usuncie kasy kasa czynsz szef praca pracy
szkoła szkole szkoly dziecko dzieci człowiekiem czlowiekiem porozmawiać porozmawiac tylko
bardzo już juz jeszcze teraz tutaj tu jutro dzisiaj dobrze źle zle spoko
""".split()

_UK = """
я ти він вона ми ви вони так ні не що хто де коли чому як це мій моя мої мене мені
дякую привіт будь ласка допоможіть допомога хочу можна українською розумію знаю
шукаю роботу живемо грошей школа тут зовсім інша більше надсилайте повідомлень чи
анонімно син донька друзів або але і й та з у в на до від для
pryvit dyakuyu diakuiu dyakuju ya ukrainy ukraina ukrainskoyu ne rozumiyu
khochu hochu mozhna bud laska tut novyi novyy mene meni tse shcho chy mayu maiu
nemaye ukrayiny ukrayina rozmovlyayu zvidky dopomozhit
""".split()

#: Language -> words that point to it.
LEXICON: dict[str, frozenset[str]] = {
    lang: frozenset(words)
    for lang, words in (("nl", _NL), ("en", _EN), ("tr", _TR), ("pl", _PL), ("uk", _UK))
}

#: Arabic written in Latin letters (Arabizi, Darija, Levantine); digits 2/3/5/7/9 in words
#: are caught separately.
ARABIZI: frozenset[str] = frozenset(
    """
    shu shou chou chno chnou wesh kifak kifek kifik keef kif ana enta enti ente mesh mish
    mafi mafish fahem fahma bghit bghina nhder nahki ahki bdi baddi biddi wahed wa7ed m3a
    ma3 chi shi ya khay khouya akhi ukhti bezaf bzaf kteer kter shukran shokran
    choukran aywa la2 eh da dah keda ezay ezayak lesh leh ween fen fin ghir walakin walo
    fhemt fhamt fhmt kayn makayn daba wakha safi zwin dyali dyal hna hada hadchi bghit
    3lach chkoun kifash kidayr labas
    """.split()
)

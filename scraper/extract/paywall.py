"""Paywall evidence from a page's markup and its extracted text; prompt stripping.

Owned by the paywall work (issue 5). The extractor calls markup_signals() on the parsed tree
*before* it removes any element, then finish() on the body text it extracted. Nothing here
reveals text the publisher does not serve: it only reads what the page holds.

Signals (`PaywallSignal.kind`, and the strength each one gets)
--------------------------------------------------------------
declared (the publisher's machine-readable claim):
  ``jsonld:isAccessibleForFree``     the value on a JSON-LD object (the flattened objects and
                                     their ``mainEntity`` / ``mainEntityOfPage`` / ``isPartOf``);
  ``jsonld:hasPart``                 a ``hasPart`` entry's value, with its ``cssSelector`` and how
                                     many elements of the page that selector matches;
  ``microdata:isAccessibleForFree``  ``itemprop="isAccessibleForFree"`` (content or text);
  ``meta:content_tier``              ``article:content_tier`` (locked / metered / free).
  Values are normalised (normalise_free): booleans, numbers, and strings such as "False", "no",
  "0", "https://schema.org/False", case and spaces ignored; an unreadable value is reported
  ("unreadable ...") and counts for nothing.
strong (served evidence of a wall):
  ``gate-element``  a container whose class/id names a wall (paywall, regwall, access-wall,
                    subscription-wall, piano/tinypass, zephr, ...; "wallpaper" ads excluded),
                    at most 1,500 characters of text (longer: a content wrapper, since publishers
                    also put "paywall" on served paragraphs), with a wall prompt in it; also any
                    element matching the outlet's ``paywall.selectors``;
  ``prompt``        a wall prompt elsewhere in the page's visible text ("Subscribe to continue
                    reading", "This article is for subscribers", "La suite est réservée aux
                    abonnés", "この記事は会員限定です", the outlet's ``paywall.phrases``, ...);
                    searched only where the markup is silent (declared None, no strong gate),
                    or the outlet has phrases, because it is the costliest check;
  ``meter``         a meter message in the page ("You have 2 free articles left");
  ``prompt:stripped`` a WALL, METER or GATE line removed from the body text (finish());
  ``truncation:wall-after-text`` a wall or wall prompt is served right after the text's last
                    paragraph (see `cut`).
weak (seen on free pages too, kept for the analyst, never decisive):
  ``vendor:<name>`` a paywall/subscription vendor's script URL (Piano/Tinypass, Zephr, Pelcro,
                    Poool, Laterpay, Plenigo, BlueConic, Evolok, Leaky Paywall, Sophi, Axate,
                    Steady, Memberful, Cxense, Subscribe with Google, Admiral, ...); inline
                    scripts are not read (page-state blobs of megabytes, for a weak signal);
  ``gate-element``  a wall-named element without a prompt in it (an empty placeholder);
  ``meta:access-flag`` premium/paid/paywall meta tags set for ad and analytics tools;
  ``prompt``        a login-box line in the page ("Already a subscriber?");
  ``prompt:stripped`` a BOX, BUTTON, SALES or squeezed line removed with a prompt block;
  ``truncation:*``  ellipsis, lead-in colon, mid-sentence end, text under half of wordCount.

`declared` (True = paywalled, False = free, None = silent), first rule that applies:
  1. any schema.org ``isAccessibleForFree`` (JSON-LD incl. ``hasPart``, or microdata) that is
     false-like gives True; otherwise any true-like value gives False;
  2. otherwise ``article:content_tier``: locked or metered gives True, free gives False;
  3. otherwise None.
  Then one override: a served wall (a strong ``gate-element``) makes it True even when the
  machine-readable markup is silent or says free, because the page itself shows the reader a
  wall and contradicts its metadata. Nothing else (prompts, vendors, meta flags) changes it.

Prompt stripping (finish): each line of the body text is classed as
  WALL    a wall prompt or one of the outlet's phrases (at most 40 words);
  METER   a meter message;  BOX  a login/registration question (at most 12 words);
  GATE    a line found in the prompt part of a strong gate element's text;
  BUTTON  a bare call to action ("Subscribe", "Login", "Jetzt abonnieren");
  SALES   a line of at most 40 words in sales language (unlimited access, per month, ...);
  TEXT    anything else.
  A WALL line must read as a prompt on its own, or stand in a prompt block. On its own: its
  wall phrase has at most 2 words of its own sentence around it that are not the words prompts
  are made of ("Create an account or sign in to continue with your reading experience.",
  "This story is available exclusively to Business Insider subscribers."; with nothing before
  the phrase, sales talk may follow it), and it quotes nobody ("..., the mayor said."). In a
  block: the line right before it, or the line right after it (past at most two SALES lines),
  is a BUTTON, BOX, METER, GATE or such a clear WALL line. Any other WALL line is a sentence of
  the article ("Residents must register to access the full consultation document on the
  council website.") and is TEXT. The outlet's phrases, "N% remains" prompts and lines in
  unspaced scripts (Japanese, Chinese) are always prompts.
  WALL/METER/BOX/GATE lines are removed wherever they are. From each, the removal grows over
  the BUTTON/BOX lines right before it, and after it over BUTTON/BOX/seed lines and (after
  WALL/METER/GATE) SALES lines. A line squeezed between two removed lines goes too if it could
  be part of a prompt block: a prompt class (WALL/METER/BOX/GATE/BUTTON/SALES) or at most 6
  words. Tail rule: from the first WALL/GATE line whose remainder is short (at most 10 lines,
  150 words, no line over 40 words) and is all prompt block (every line a prompt class or at
  most 6 words, never an article sentence), everything to the end is the prompt block and is
  removed. Lines before the block are the teaser and are kept as they are. "Subscribe" inside
  a sentence, or alone away from any prompt, is kept. Each step is one pass over the lines (a
  hostile page of 200,000 prompt lines takes about a second).

`cut` (the served text is a teaser cut by a paywall):
  - never when the publisher declares a wordCount of at least 100 and the text holds at least
    80% of it (the full text was served, whatever prompts the page also carries);
  - otherwise True when any of:
    a. the text ended in a wall prompt block (a WALL/GATE line in the removed tail; article
       sentences that merely hold a wall phrase are no WALL lines, see above), even on a page
       that declares itself free (many publishers declare every page free); on such a page the
       stripped prompt lines do not count as the paywall evidence of d.;
    b. a "N% of this article remains" prompt was seen ("Il vous reste 57% de cet article");
    c. a wall or wall prompt is served right after the paragraph that ends the text (the wall
       sits outside the extracted text, where the text stops);
    d. the page is paywalled (declared True or any strong signal) and the text is empty, ends in
       "...", "…" or a lead-in colon, or holds under half of a declared wordCount of at least 150.
  A page that declares a paywall but serves its full text, without a prompt at its end, is not
  cut. A mid-sentence ending alone is only evidence (credit lines end without a full stop).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..config import PaywallRules
from ..models import PaywallSignal, SignalStrength
from .scan import ScanNode, collapse_space, page_nodes

# Prompts are short; an article sentence that merely mentions subscribers is long.
_MAX_PROMPT_WORDS = 40
_MAX_PROMPT_CHARS = 400
_MAX_GATE_CHARS = 1_500
_MAX_SCAN_LINE = 400
_MAX_SIGNALS_PER_KIND = 6
_DETAIL_CHARS = 160
_TAIL_MAX_LINES = 10
_TAIL_MAX_WORDS = 150
_FULL_TEXT_SHARE = 0.8
_SHORT_TEXT_SHARE = 0.5
_SHORT_TEASER_WORDS = 100

# --- phrase patterns (matched on lower-cased, whitespace-collapsed lines) -------------------

_ACCOUNT_VERB = (
    r"(?:subscrib(?:e|ing)|sign(?:ing)?[ -]?in|sign(?:ing)?[ -]?up|log(?:ging)?[ -]?in|login|"
    r"register(?:ing)?|"
    r"create (?:a |an |your )?(?:free )?account|become (?:a |an )?\w+|join(?: now| today| us)?|upgrade|"
    r"start (?:your |a )?(?:free )?trial|buy (?:a |an )?(?:subscription|pass))"
)
_READ_VERB = (
    r"(?:continue(?: reading| with|[.!,]|$)|keep reading|read (?:this|the (?:full|whole|rest|entire)|more|"
    r"on\b|it all)|"
    r"unlock|access (?:this|the (?:full|whole|rest)|all|unlimited|premium|our|every|full)|"
    r"view (?:this|the (?:full|whole|rest))|enjoy (?:unlimited|full|this|the full)|get (?:full|unlimited)|"
    r"see the (?:full|rest)|start reading)"
)
_SUBSCRIBERS = r"(?:subscribers|abonnenten|abonnentinnen|abonnés|abonnees|abonnenter|suscriptores|abbonati|assinantes|prenumeranter|subskrybentów|prenumeratorów)"  # noqa: E501
_WALL_PATTERNS = (
    # English
    rf"\b{_ACCOUNT_VERB}\b[^.!?]{{0,60}}?\b(?:to|and) {_READ_VERB}",
    r"\bto (?:continue|keep) reading\b[^.!?]{0,20}?\b(?:subscribe|sign in|log in|login|register|become|join|"
    r"create)",
    r"\bto read (?:this|the (?:full|whole|rest of the)) (?:article|story|piece)\b[^.!?]{0,30}?"
    r"\b(?:subscribe|sign in|log in|login|register|become|join)",
    r"\b(?:continue|keep) reading (?:with (?:a|an|your|our|the)\b|for (?:free|just|only)\b|for [£€$]|"
    r"by (?:subscribing|signing|logging|registering))",
    rf"\b(?:this|the|full|rest of (?:this|the)) (?:article|story|content|piece|report|feature|post|"
    rf"page)s? (?:is |are )?(?:only |exclusively )?(?:available |reserved |exclusive |accessible |"
    rf"open )?(?:only |exclusively )?(?:to|for) (?:our )?(?:[\w'’&.-]+ ){{0,4}}?(?:paying |paid |"
    rf"registered |digital |premium |print )?{_SUBSCRIBERS}\b",
    r"\b(?:reserved|available|exclusive) (?:(?:only|exclusively) )?(?:to|for) (?:our )?(?:[\w'’&.-]+ ){0,3}?"
    r"(?:paying |paid |registered |digital |premium )?subscribers\b",
    r"\b(?:for|to) (?:paying |paid |digital |premium )?subscribers only\b",
    r"\b(?:for|to) (?:our )?(?:paying |paid |premium |registered )?members only\b",
    r"\b(?:this|the) (?:article|story|content) is (?:only )?(?:available )?(?:to|for) (?:our )?"
    r"(?:paying |paid |premium |registered )members\b",
    r"\bsubscribers?[- ]only (?:content|article|story|feature|piece)\b",
    r"\bunlock (?:this|the full|the rest of (?:this|the)) (?:article|story)\b",
    r"\bthe rest of (?:this|the) (?:article|story) is (?:for|available|reserved|only)\b",
    r"\b(?:subscribe|subscription) (?:now |today )?(?:for|to) (?:get )?(?:full|unlimited) access\b",
    # German
    r"\b(?:nur|exklusiv) für (?:\w+[- ]?)?(?:abonnent(?:inn)?en|abo-?kunden|abonnenten|plus-?(?:kunden|"
    r"leser|abonnenten))\b",
    r"\b(?:dieser|der) (?:artikel|beitrag|inhalt|text) ist (?:nur |exklusiv )?(?:für|exklusiv)",
    r"\b(?:mit|im) (?:einem |ihrem |dem )?[\w-]*abo(?:nnement)? (?:weiterlesen|lesen|freischalten)\b",
    r"\bweiterlesen mit\b",
    r"\b(?:registrieren|anmelden|einloggen|abonnieren|abonnent werden)\b[^.!?]{0,40}?\b(?:und|"
    r"um) (?:\w+ ){0,3}?(?:weiter)?(?:zu )?(?:lesen|weiterlesen)\b",
    r"\b(?:um|zum) (?:diesen|den|den ganzen|den vollständigen) (?:artikel|beitrag|text) (?:zu )?(?:lesen|"
    r"weiterlesen)\b",
    r"\b(?:diesen|den) (?:artikel|beitrag) (?:freischalten|erwerben|kaufen)\b",
    # French
    r"\b(?:réservée?s?|reservée?s?) (?:à nos|aux) abonnés\b",
    r"\bla suite est réservée\b",
    r"\bpour (?:lire|continuer) (?:la suite|à lire)\b",
    r"\babonnez-vous pour (?:lire|continuer|poursuivre|accéder)\b",
    r"\bcet article est réservé\b",
    r"\bvotre abonnement n[’']autorise pas\b",
    # Spanish, Italian, Portuguese
    rf"\b(?:contenido|artículo|noticia|información|contenuto|articolo|conteúdo|artigo|matéria) (?:es |è |"
    rf"é )?(?:exclusiv[oa]|reservad[oa]|riservat[oa]|restrit[oa]) (?:para|per|a|agli|aos|"
    rf"para os) (?:\w+ )?{_SUBSCRIBERS}",
    r"\b(?:suscríbete|suscribete|abbonati|assine) (?:para|per|e) (?:seguir|continuar|continuare|ler|"
    r"leggere)\b",
    r"\bpara (?:seguir|continuar) (?:leyendo|lendo)\b",
    r"\bper continuare a leggere\b",
    # Dutch, Scandinavian, Polish
    r"\blees (?:verder|het hele artikel) met\b",
    r"\b(?:dit|het) artikel is (?:alleen |exclusief )?(?:voor|beschikbaar voor) abonnees\b",
    r"\bword abonnee (?:om|en lees)\b",
    r"\b(?:artikkelen|saken|artikeln|artiklen|artikel) (?:er|är) (?:kun |bare |endast )?(?:for|"
    r"för) (?:abonnenter|prenumeranter)\b",
    r"\b(?:bli|bliv|bli en) (?:abonnent|prenumerant) (?:for å|för att|for at)\b",
    r"\b(?:for å|för att|for at) (?:lese|läsa|læse) (?:videre|vidare|hele|hela)\b",
    r"\bartykuł (?:jest )?dostępny (?:tylko |wyłącznie )?dla (?:subskrybentów|prenumeratorów)\b",
    # Japanese, Korean, Chinese
    r"記事は(?:有料)?会員(?:限定|専用)|会員限定(?:記事|です|の記事)|続きを読むには|この記事の続きは|"
    r"有料会員(?:限定|になると|登録)|(?:ログイン|会員登録)(?:して|すると)(?:続き|全文)",
    r"(?:유료 ?회원|구독자) ?전용|구독하고 (?:계속|전체)|"
    r"(?:订阅|訂閱)(?:后|後)?(?:继续|繼續)?(?:阅读|閱讀)|付费(?:会员|内容)",
)
# "Il vous reste 57% de cet article à lire", "Pozostało jeszcze 89% artykułu": a cut teaser.
_PERCENT_PATTERN = (
    r"\b\d{1,2}(?:[.,]\d+)? ?% (?:of (?:this|the) (?:article|story)|de cet article|des artikels|"
    r"dell'articolo|del artículo|artykułu|van dit artikel)|残り\d+文字"
)
_METER_PATTERNS = (
    r"\byou(?:'ve|’ve| have) (?:\w+ )?(?:\d+|one|two|three|four|five) (?:free |more )?(?:articles?|stories|"
    r"reads?) (?:left|remaining)\b",
    r"\b(?:\d+|one|two|three|four|five) (?:free |more )(?:articles?|stories) (?:left|remaining)\b",
    r"\b(?:this is|that was) your (?:last|final) free (?:article|story)\b",
    r"\byou(?:'ve|’ve| have) (?:read|used) (?:\d+|all) (?:of )?(?:your )?(?:\d+ )?free (?:articles?|"
    r"stories)\b",
    r"\byou(?:'ve|’ve| have) (?:reached|hit|used up) (?:your|the) (?:\w+ )?(?:limit|maximum)\b",
    r"\bsie haben (?:noch |bereits )?(?:\d+|einen|zwei|drei) (?:von \d+ )?(?:kostenlose[n]?|freie[n]?|"
    r"gratis) artikel\b",
    r"\b(?:ihr|dein) (?:letzter|\d+\.) (?:kostenloser|freier|gratis) artikel\b",
    r"\bil vous reste \d+ articles? (?:gratuits?|offerts?)\b",
)
_BOX_PATTERNS = (
    r"\balready (?:a |an )?(?:subscriber|member|subscribed|registered|customer)\b",
    r"\b(?:already )?have an account\??$",
    r"^print subscriber\??$",
    r"\b(?:sie sind |du bist )?(?:bereits|schon) (?:ein )?(?:abonnent(?:in)?|abonniert|registriert|kunde|"
    r"plus-kunde)\b",
    r"\bsie haben (?:bereits|schon) ein (?:abo|abonnement|konto)\b",
    r"\bdéjà abonné",
    r"\b(?:¿ ?)?ya eres (?:suscriptor|socio)\b",
    r"\bsi ya estás suscrito\b",
    r"\bsei già abbonato\b",
    r"\bjá é assinante\b",
    r"\bal abonnee\b",
    r"\b(?:allerede|redan) (?:abonnent|prenumerant)\b",
    r"\bmasz już (?:subskrypcję|konto|prenumeratę)\b",
    r"\bjetzt weiterlesen\b",
    r"(?:すでに|既に)(?:有料)?会員の方|会員の方はログイン",
)
_BUTTONS = frozenset(
    """subscribe|subscribe now|subscribe today|subscribe here|login|log in|log-in|sign in|sign-in|sign up|
    register|register now|log in / register|login / register|sign in / register|sign in or register|
    log in or register|create account|create an account|create free account|start free trial|
    start your free trial|free trial|see offers|view offers|see subscription options|subscription options|
    get started|join now|become a member|become a subscriber|manage subscription|already a subscriber|
    abonnieren|jetzt abonnieren|abo abschließen|jetzt abo abschließen|anmelden|jetzt anmelden|hier anmelden|
    einloggen|registrieren|jetzt registrieren|kostenlos registrieren|zum angebot|angebote ansehen|
    jetzt testen|
    s'abonner|s’abonner|je m'abonne|je m’abonne|se connecter|connexion|s'inscrire|s’inscrire|suscríbete|
    suscribete|iniciar sesión|regístrate|abbonati|accedi|registrati|assine|assine já|entrar|inloggen|
    word abonnee|log ind|logg inn|logga in|køb abonnement|kjøp abonnement|zaloguj się|zaloguj|subskrybuj|
    wykup dostęp|login / logout|ログイン|会員登録|新規会員登録|無料会員登録|로그인|구독하기|登录|
    订阅""".replace("\n", "").split("|")
)
_BUTTONS = frozenset(button.strip() for button in _BUTTONS)
_SALES_PATTERN = (
    r"unlimited (?:digital )?access|full access|unbegrenzte[nr]? zugang|accès illimité|acceso ilimitado|"
    r"subscription|subscrib|membership|abonnement|\babo\b|abonn|suscrip|abbonament|assinatura|"
    r"prenumer|subskryp|free trial|trial|cancel (?:at )?any ?time|jederzeit kündbar|sans engagement|"
    r"per (?:month|week|year)|a (?:month|week|year)\b|/ ?(?:month|week|mo|wk|yr)\b|pro (?:monat|woche)|"
    r"par mois|"
    r"al mes|[£€$] ?\d|\d ?(?:€|eur\b|euro\b)|exclusive (?:content|commentary|analysis|articles?|access|"
    r"journalism|"
    r"reporting|stories|insights?)|premium|weekly copy|sent directly|delivered to your|digital access|"
    r"print edition|all (?:our )?(?:articles|content|stories)|alle artikel|tous nos contenus|offert|"
    r"special offer|angebot|introductory|best value|save \d+ ?%|読み放題|月額|購読|会員登録|구독|订阅|訂閱|"
    # The sales desk a prompt box points to ("merci de contacter notre service commercial").
    r"service commercial|customer service|kundenservice"
)
# Fragments of the words the phrases above contain (first letters dropped, so "Subscribe" and
# "subscribe" both hold "ubscri"): the page-wide scan runs the full patterns only on short lines
# that hold one, each searched as written and in capitals, so a page costs a handful of
# substring searches and no lower-casing of the whole page. English always, plus the page's
# own language (a few common stems when the page does not say).
_ANCHORS_EN = ("ubscri", "ontinu", "ree art")
_ANCHORS_BY_LANG: dict[str, tuple[str, ...]] = {
    "de": ("bonn", "eiterles", "rwerben"),
    "fr": ("bonn", "éservé"),
    "es": ("uscri", "eyendo"),
    "it": ("bbona", "eggere"),
    "pt": ("ssina", "endo"),
    "nl": ("bonnee", "ees verder"),
    "da": ("bonn", "æse"),
    "no": ("bonn", "ese "),
    "nb": ("bonn", "ese "),
    "sv": ("renumer", "äsa"),
    "pl": ("ubskryb", "renumer", "ostępny"),
    "ja": ("会員", "続き", "残り"),
    "ko": ("회원", "구독"),
    "zh": ("订阅", "訂閱", "付费"),
}
# Pages that do not name their language: the commonest stems of the groups above.
_ANCHORS_OTHER = ("bonn", "éservé", "uscri", "bbona", "ssina", "renumer", "会員", "구독", "订阅")

# Every WALL, PERCENT and METER pattern contains one of these, and every BOX pattern one of
# _BOX_HINTS: a line without any is not run through the (slow, backtracking) patterns at all.
_WALL_HINTS = (
    "subscri", "sign in", "sign up", "sign-in", "signin", "sign-up", "signing", "log in", "login", "log-in",
    "logg", "regist", "account", "become a", "join", "upgrade", "trial", "buy a", "continue reading",
    "keep reading", "members", "unlock", "rest of", "abonn", "abo ", "abo-", "nur für", "exklusiv für",
    "artikel ist", "beitrag ist", "inhalt ist", "text ist", "lesen", "lese ", "freischalt", "erwerben",
    "artikel kaufen", "beitrag kaufen", "réserv", "reserv", "lire la", "à lire", "il vous reste", "suscr",
    "leyendo", "abbona", "leggere", "assin", "lendo", "lees ", "läsa", "læse", "prenumer", "subskryb",
    "dostęp", "% of th", "% de cet", "% des art", "% dell", "% del art", "% artyk", "% van dit", "free art",
    "free stor", "articles left", "article left", "stories left", "reads left", "articles remaining",
    "article remaining", "stories remaining", "reached your", "reached the", "hit your", "hit the", "used up",
    "kostenlose", "freie art", "freier art", "gratis art", "会員", "続き", "有料", "ログイン", "残り", "회원",
    "구독", "订阅", "訂閱", "付费",
)  # fmt: skip
_WALL_HINTS_BYTES = tuple(hint.encode() for hint in _WALL_HINTS)
_BOX_HINTS = (
    "already", "have an account", "print subscri", "bereits", "schon", "déjà", "ya eres", "si ya", "già",
    "já é", "al abonnee", "allerede", "redan", "masz już", "weiterlesen", "会員の方",
)  # fmt: skip


def _compile(patterns: Iterable[str]) -> re.Pattern[str]:
    # A leading \b stops the regex engine from skipping ahead to a pattern's first letter, which
    # makes the combined pattern several times slower; the phrases are specific enough without it.
    # MULTILINE: a wall's text is searched as one string of lines, and "$" ends a line.
    return re.compile("|".join(p.removeprefix(r"\b") for p in patterns), re.MULTILINE)


_WALL_RE = _compile(_WALL_PATTERNS)
_PERCENT_RE = _compile([_PERCENT_PATTERN])
_METER_RE = _compile(_METER_PATTERNS)
_METER_SPENT_RE = re.compile(
    r"\byou(?:'ve|’ve| have) (?:reached|hit|used up) (?:your|the) (?:\w+ )?(?:limit|maximum)\b"
)
_BOX_RE = _compile(_BOX_PATTERNS)
_SALES_RE = re.compile(_SALES_PATTERN)
_SPACE_RE = re.compile(r"\s+")
_CODE_RE = re.compile(r"[{};=<>]|\":|function\s*\(")
_BUTTON_STRIP = " \t.!?:;»«›‹>→·•|*-–—()[]\"'“”„"

# --- markup patterns ------------------------------------------------------------------------

# Where isAccessibleForFree sits in practice: on the article, in its hasPart entries, or on the
# page's mainEntity; other branches (authors, images, breadcrumbs) are not walked, for speed.
_NESTED_KEYS = ("hasPart", "mainEntity", "mainEntityOfPage", "isPartOf")
_FALSE_WORDS = frozenset({"false", "no", "0", "n", "f", "off", "nein", "non", "paid", "locked"})
_TRUE_WORDS = frozenset({"true", "yes", "1", "y", "t", "on", "ja", "oui", "free"})
_TIER_WALLED = frozenset({"locked", "metered", "premium", "paid", "subscriber", "subscribers", "members"})
_TIER_FREE = frozenset({"free", "open"})

# Candidate elements for walls: cheap attribute-substring selectors, then _GATE_NAME_RE decides.
# One selector pass finds scripts, meta tags, microdata and wall candidates (each extra
# attribute-substring selector costs a tree walk's worth of matching, so the list is short;
# _GATE_NAME_RE then decides on the candidates).
_ONE_PASS_SELECTOR = (
    'script[src], meta, [itemprop="isAccessibleForFree" i], [class*="wall" i], [id*="wall" i], [data-paywall]'
)
# Walls are containers; "paywall" on a paragraph or span marks served text, not a wall.
_NOT_GATES = frozenset(
    {
        "body", "html", "head", "link", "svg", "path", "use", "img", "input", "iframe", "style", "p", "span",
        "a", "li", "blockquote", "strong", "em", "b", "i", "h1", "h2", "h3", "h4", "h5", "h6", "button",
        "figure", "figcaption", "picture", "source", "label",
    }
)  # fmt: skip
_NOT_VISIBLE = frozenset({"script", "style", "noscript", "template", "svg", "head"})
_GATE_NAME_RE = re.compile(
    r"pay[-_]?wall|(?:reg|registration|register|login|signin|sign-in|subscribe|subscription|subscriber|"
    r"access|"
    r"content|premium|plus|abo|email|hard|soft|meter)[-_]?wall(?!paper)|(?:^|\s)wall(?:\s|$)|piano|tinypass|"
    r"\btp-(?:container|modal|"
    r"iframe|backdrop|active)|zephr|pelcro|poool|laterpay|evolok|plenigo|leaky|(?:^|[-_ ])meter(?:ed)?(?:$|"
    r"[-_ ])|"
    r"(?:content|article|story)[-_]?gate|subscri(?:be|ption|ber)[-_]?(?:prompt|box|gate|promo|banner|overlay|"
    r"modal|cta|offer)|data-paywall",
    re.IGNORECASE,
)
_VENDORS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("piano", ("tinypass", "piano.io", "tp.push(", "cdn.piano", "experience.piano")),
    ("zephr", ("zephr",)),
    ("pelcro", ("pelcro",)),
    ("poool", ("poool",)),
    ("laterpay", ("laterpay",)),
    ("plenigo", ("plenigo",)),
    ("blueconic", ("blueconic",)),
    ("evolok", ("evolok",)),
    ("leaky-paywall", ("leaky-paywall", "leaky_paywall", "leakypaywall")),
    ("sophi", ("sophi.io", "sophitag", "window.sophi", "sophi-")),
    ("axate", ("axate", "agate.io")),
    ("steady", ("steadyhq",)),
    ("memberful", ("memberful",)),
    ("cxense", ("cxense",)),
    ("subscribe-with-google", ("swg-basic", "news.google.com/swg", "subscribewithgoogle")),
    ("admiral", ("getadmiral",)),
    ("wallkit", ("wallkit",)),
    ("cleeng", ("cleeng",)),
    ("fewcents", ("fewcents",)),
    ("mediapass", ("mediapass",)),
    ("arc-subscriptions", ("arc-subs", "arcsubscriptions", "sdk-sales")),
)
_ACCESS_META_RE = re.compile(r"paywall|premium|paid|access_status|accesslevel|access-level|ispaidcontent")
_TRUE_FLAG_VALUES = frozenset({"true", "yes", "1", "locked", "premium", "paid", "metered"})


@dataclass(frozen=True)
class MarkupSignals:
    declared: bool | None  # what the publisher's markup claims
    word_count: int | None  # JSON-LD wordCount, if declared
    signals: tuple[PaywallSignal, ...]
    # Lower-cased, space-collapsed text of each served wall (strong gate element), from its prompt on.
    gate_texts: tuple[str, ...] = ()
    # The outlet's extra prompt phrases, lower-cased (from PaywallRules.phrases).
    phrases: tuple[str, ...] = ()
    # Lower-cased text of the paragraph served right before each wall or wall prompt.
    walls_after: tuple[str, ...] = ()


@dataclass(frozen=True)
class PaywallReport:
    declared: bool | None
    cut: bool  # evidence that the served text is a teaser cut by a paywall
    signals: tuple[PaywallSignal, ...]
    text: str  # the body text with every prompt line removed


# --- helpers --------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return collapse_space(text).lower()


def _short(text: str) -> str:
    text = _SPACE_RE.sub(" ", text).strip()
    return text if len(text) <= _DETAIL_CHARS else text[: _DETAIL_CHARS - 1] + "…"


def normalise_free(value: Any) -> bool | None:
    """schema.org isAccessibleForFree as a bool: True (free), False (not free), None (unreadable)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().strip("\"'").rsplit("/", 1)[-1].strip().lower()
        if word in _FALSE_WORDS:
            return False
        if word in _TRUE_WORDS:
            return True
    if isinstance(value, list) and len(value) == 1:
        return normalise_free(value[0])
    return None


def _word_count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and value > 0:
        return int(value)
    if isinstance(value, str):
        digits = value.strip().replace(",", "").replace(".", "").replace(" ", "")
        if digits.isdigit() and int(digits) > 0:
            return int(digits)
    return None


def _describe(node: LexborNode) -> str:
    attrs = node.attributes
    name = node.tag or "?"
    if attrs.get("id"):
        name += f"#{attrs['id']}"
    if attrs.get("class"):
        name += "." + ".".join((attrs["class"] or "").split()[:3])
    return name


class _Signals:
    """Collects signals, at most a few of each kind, without duplicates."""

    def __init__(self) -> None:
        self.items: list[PaywallSignal] = []
        self._seen: set[tuple[str, str]] = set()
        self._per_kind: dict[str, int] = {}

    def add(self, kind: str, detail: str, strength: SignalStrength) -> None:
        # The cap is checked first: a hostile page can strip hundreds of thousands of lines.
        if self._per_kind.get(kind, 0) >= _MAX_SIGNALS_PER_KIND:
            return
        detail = _short(detail)
        if (kind, detail) in self._seen:
            return
        self._seen.add((kind, detail))
        self._per_kind[kind] = self._per_kind.get(kind, 0) + 1
        self.items.append(PaywallSignal(kind, detail, strength))


# --- markup ---------------------------------------------------------------------------------


def _walk_jsonld(value: Any, found: list[tuple[Any, str | None]], counts: list[int], in_part: bool, depth: int) -> None:
    """Collect every isAccessibleForFree value (with the hasPart cssSelector, or None at the top)."""
    if depth > 6:
        return
    if isinstance(value, list):
        for item in value:
            _walk_jsonld(item, found, counts, in_part, depth + 1)
        return
    if not isinstance(value, dict):
        return
    if "isAccessibleForFree" in value:
        selector = value.get("cssSelector") if in_part else None
        if isinstance(selector, list):
            selector = ", ".join(str(item) for item in selector if item)
        found.append((value["isAccessibleForFree"], str(selector) if selector else ("" if in_part else None)))
    if "wordCount" in value and not counts:
        count = _word_count(value["wordCount"])
        if count:
            counts.append(count)
    for key in _NESTED_KEYS:
        child = value.get(key)
        if isinstance(child, dict | list):
            _walk_jsonld(child, found, counts, in_part or key == "hasPart", depth + 1)


def _selector_match(tree: LexborHTMLParser, selector: str) -> str:
    if not selector:
        return "no cssSelector"
    try:
        nodes = tree.css(selector)
    except Exception:  # lexbor rejects some valid-looking selectors; the claim still counts
        return "selector not understood"
    chars = sum(len(node.text(deep=True)) for node in nodes[:20])
    return f"matches {len(nodes)} element(s), {chars} chars"


def _holds_prompt(text: str, phrases: tuple[str, ...]) -> bool:
    if any(phrase in text for phrase in phrases):
        return True
    if not any(hint in text for hint in _WALL_HINTS):
        return False
    return bool(
        _WALL_RE.search(text)
        or _PERCENT_RE.search(text)
        or _METER_RE.search(text)
        or any(phrase in text for phrase in phrases)
    )


def _gate_prompt_text(node: LexborNode, phrases: tuple[str, ...]) -> tuple[str, str] | None:
    """(prompt text from the wall prompt on, the prompt) when the element's text holds a wall prompt."""
    raw = node.text(deep=True, separator="\n")
    segments = [_norm(part) for part in raw.split("\n")]
    segments = [segment for segment in segments if segment]
    if not segments or not _holds_prompt("\n".join(segments), phrases):
        return None
    for i, segment in enumerate(segments):
        match = None
        if any(hint in segment for hint in _WALL_HINTS):
            match = _WALL_RE.search(segment) or _PERCENT_RE.search(segment) or _METER_RE.search(segment)
        phrase = match.group(0) if match else next((p for p in phrases if p in segment), None)
        if phrase is None:
            continue
        start = i
        # A short lead-in right above the prompt ("Enjoying our content?") belongs to the box.
        while start > 0 and len(segments[start - 1].split()) <= 8 and i - start < 2:
            start -= 1
        return " ".join(segments[start:]), phrase
    return None


def _visible_text(tree: LexborHTMLParser) -> str:
    """The body's text without its top-level scripts and styles (where the big JSON blobs sit).
    Whitespace-only text nodes are left out: they only add blank lines, which hold no prompt,
    and a quarter of the characters the anchor searches would scan."""
    body = tree.body
    if body is None:
        return ""
    return "\n".join(
        child.text(deep=True, separator="\n", skip_empty=True)
        for child in body.iter(include_text=False)
        if child.tag not in _NOT_VISIBLE
    )


def _anchors(tree: LexborHTMLParser) -> tuple[str, ...]:
    html = tree.css_first("html")
    lang = ((html.attributes.get("lang") if html is not None else None) or "").strip().lower()[:2]
    # English prompts are often set in capitals in the source ("SUBSCRIBE TO CONTINUE READING").
    english = tuple(form for anchor in _ANCHORS_EN for form in (anchor, anchor.upper()))
    return english + ((), _ANCHORS_BY_LANG.get(lang, _ANCHORS_OTHER))[lang != "en"]


def _candidate_lines(text: str, anchors: tuple[str, ...]) -> Iterable[str]:
    """Short lines of `text` that contain an anchor, each once, lower-cased."""
    spans: set[tuple[int, int]] = set()
    for anchor in anchors:
        at = text.find(anchor)
        hits = 0
        while at != -1 and hits < 100:
            hits += 1
            start = text.rfind("\n", 0, at) + 1
            end = text.find("\n", at)
            end = len(text) if end == -1 else end
            spans.add((start, end))
            at = text.find(anchor, end)
    for start, end in sorted(spans):
        if end - start <= _MAX_SCAN_LINE:
            line = _SPACE_RE.sub(" ", text[start:end]).strip().lower()
            if line:
                yield line


def _text_before(node: LexborNode) -> str | None:
    """The text of the last paragraph served right before `node` (the teaser's end, for a wall)."""
    current: LexborNode | None = node
    for _ in range(6):
        if current is None:
            return None
        sibling = current.prev
        while sibling is not None:
            if sibling.tag not in _NOT_VISIBLE and sibling.tag != "-comment":
                paragraphs = sibling.css("p") if sibling.tag not in ("p", "-text") else [sibling]
                for paragraph in reversed(paragraphs):
                    text = _norm(paragraph.text(deep=True))
                    if len(text) >= 20 and not _CODE_RE.search(text):
                        return text
                raw = sibling.text_content if sibling.tag == "-text" else sibling.text(deep=True, separator="\n")
                for line in reversed((raw or "").split("\n")):
                    if len(line.strip()) >= 20 and not _CODE_RE.search(line):
                        return _norm(line)
            sibling = sibling.prev
        current = current.parent
        if current is None or current.tag in ("body", "html"):
            return None
    return None


def _prompt_node(tree: LexborHTMLParser, line: str) -> LexborNode | None:
    """The innermost element whose text holds `line` (only looked up for the rare prompt found)."""
    needle = line[:60].replace("\\", "\\\\").replace('"', '\\"')
    try:
        nodes = tree.css(f'body :lexbor-contains("{needle}" i)')
    except Exception:  # an odd character in the needle; the position is then unknown
        return None
    nodes = [node for node in nodes if node.tag not in _NOT_VISIBLE]
    return nodes[-1] if nodes else None


class _Reader:
    """One pass over the page's scripts, meta tags and wall candidates."""

    def __init__(self, tree: LexborHTMLParser, phrases: tuple[str, ...], out: _Signals) -> None:
        self.tree = tree
        self.phrases = phrases
        self.out = out
        self.free_values: list[bool] = []
        self.tiers: list[str] = []
        self.sources: list[str] = []
        self.gate_texts: list[str] = []
        self.walls_after: list[str] = []
        self.analysed: list[str] = []
        self.strong_gate = False

    def read(self, rules: PaywallRules | None, nodes: list[ScanNode] | None = None) -> None:
        # `nodes` (scan.page_nodes) is a superset of what _ONE_PASS_SELECTOR matches: narrowed here.
        for node, tag, attrs in page_nodes(self.tree, _ONE_PASS_SELECTOR) if nodes is None else nodes:
            if tag == "script":
                # Only script URLs: reading inline scripts (page state blobs of up to megabytes)
                # would cost more than the whole extraction, for a weak signal.
                src = attrs.get("src")
                if src is not None:
                    self.sources.append(src.lower())
            elif tag == "meta":
                self._meta(node, attrs)
            else:
                itemprop = attrs.get("itemprop")
                if itemprop:
                    if itemprop.strip().lower() == "isaccessibleforfree":
                        self._microdata(node, attrs)
                elif tag not in _NOT_GATES and (
                    "data-paywall" in attrs or "wall" in f"{attrs.get('class') or ''} {attrs.get('id') or ''}".lower()
                ):
                    self._gate(node, attrs)
        for selector in rules.selectors if rules else ():
            self._outlet_gate(selector)

    def _meta(self, node: LexborNode, attrs: dict[str, str | None]) -> None:
        itemprop = attrs.get("itemprop")
        if itemprop and itemprop.lower() == "isaccessibleforfree":
            self._microdata(node, attrs)
            return
        name = (attrs.get("property") or attrs.get("name") or "").lower()
        if not name:
            return
        value = (attrs.get("content") or "").strip().lower()
        if name == "article:content_tier":
            if value:
                self.tiers.append(value)
                self.out.add("meta:content_tier", value, "declared")
        elif value in _TRUE_FLAG_VALUES and _ACCESS_META_RE.search(name):
            # Flags set for ad and analytics tools: weak, they mislabel free pages.
            self.out.add("meta:access-flag", f"{name}={value}", "weak")

    def _microdata(self, node: LexborNode, attrs: dict[str, str | None]) -> None:
        raw = attrs.get("content")
        value = normalise_free(raw if raw is not None else node.text(deep=True))
        if value is not None:
            self.free_values.append(value)
            self.out.add("microdata:isAccessibleForFree", str(value).lower(), "declared")

    def _gate(self, node: LexborNode, attrs: dict[str, str | None]) -> None:
        names = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
        if "data-paywall" in attrs:
            names += " data-paywall"
        if not _GATE_NAME_RE.search(names):
            return
        text = node.text(deep=True)
        if len(text) > _MAX_GATE_CHARS or not text.strip():
            if not text.strip():
                self.out.add("gate-element", _describe(node), "weak")
            return  # long: a content container ("paywall" on served paragraphs), not a wall
        if any(text in seen for seen in self.analysed):
            return  # inside a wall-named element already read
        self.analysed.append(text)
        prompt = _gate_prompt_text(node, self.phrases)
        if prompt is None:
            self.out.add("gate-element", _describe(node), "weak")
            return
        region, phrase = prompt
        if any(region in seen for seen in self.gate_texts):
            return  # an inner element of a wall already recorded
        self._wall(node, region)
        self.out.add("gate-element", f"{_describe(node)}: {phrase}", "strong")

    def _outlet_gate(self, selector: str) -> None:
        try:
            nodes = self.tree.css(selector)
        except Exception:  # a broken outlet selector must not break extraction
            self.out.add("gate-element", f"outlet selector not understood: {selector}", "weak")
            return
        for node in nodes[:3]:
            self.out.add("gate-element", f"outlet selector {selector}: {_describe(node)}", "strong")
            text = node.text(deep=True)
            if len(text) <= _MAX_GATE_CHARS:
                prompt = _gate_prompt_text(node, self.phrases)
                self._wall(node, prompt[0] if prompt else _norm(text))
            else:
                self.strong_gate = True

    def _wall(self, node: LexborNode, region: str) -> None:
        self.strong_gate = True
        self.gate_texts.append(region)
        before = _text_before(node)
        if before:
            self.walls_after.append(before)

    def vendors(self) -> None:
        """Record the paywall vendors whose scripts the page loads (weak)."""
        src_blob = "\n".join(self.sources)
        for name, needles in _VENDORS:
            for needle in needles:
                if needle in src_blob:
                    host = next(s for s in self.sources if needle in s)
                    self.out.add(f"vendor:{name}", f"script {host}", "weak")
                    break

    def page_prompts(self) -> None:
        visible = _visible_text(self.tree)
        for line in _candidate_lines(visible, _anchors(self.tree)):
            if _size(line) > _MAX_PROMPT_WORDS or any(line in gate for gate in self.gate_texts):
                continue
            if _CODE_RE.search(line):
                continue  # a line of a nested script or style, not shown text
            if _PERCENT_RE.search(line) or _WALL_RE.search(line) or any(p in line for p in self.phrases):
                self.out.add("prompt", line, "strong")
                node = _prompt_node(self.tree, line)
                before = _text_before(node) if node is not None else None
                if before:
                    self.walls_after.append(before)
            elif _METER_RE.search(line):
                self.out.add("meter", line, "strong")
            elif _BOX_RE.search(line):
                self.out.add("prompt", line, "weak")


def markup_signals(
    tree: LexborHTMLParser,
    jsonld: list[dict[str, Any]],
    rules: PaywallRules | None = None,
    nodes: list[ScanNode] | None = None,
) -> MarkupSignals:
    """Read the page's paywall evidence; the tree is not changed. See the module docstring.
    `nodes` is the page's one-pass scan (scan.page_nodes), read instead of a query of its own."""
    out = _Signals()
    phrases = tuple(_norm(p) for p in (rules.phrases if rules else ()) if p.strip())

    found: list[tuple[Any, str | None]] = []
    counts: list[int] = []
    for obj in jsonld:
        _walk_jsonld(obj, found, counts, False, 0)
    free_values: list[bool] = []
    for raw, selector in found:
        value = normalise_free(raw)
        shown = f"unreadable {raw!r}" if value is None else str(value).lower()
        if value is not None:
            free_values.append(value)
        if selector is None:
            out.add("jsonld:isAccessibleForFree", shown, "declared")
        else:
            match = _selector_match(tree, selector)
            detail = f"cssSelector {selector or '-'}: isAccessibleForFree={shown}; {match}"
            out.add("jsonld:hasPart", detail, "declared")

    reader = _Reader(tree, phrases, out)
    reader.read(rules, nodes)
    free_values += reader.free_values
    declared: bool | None = (False in free_values) if free_values else None
    if declared is None:
        for tier in reader.tiers:
            if tier in _TIER_WALLED or tier in _TIER_FREE:
                declared = tier in _TIER_WALLED
                break
    reader.vendors()
    # The page-wide prompt scan costs the most; it only runs where the markup left the question open.
    if (declared is None and not reader.strong_gate) or phrases:
        reader.page_prompts()
    if reader.strong_gate:
        declared = True
    return MarkupSignals(
        declared=declared,
        word_count=counts[0] if counts else None,
        signals=tuple(out.items),
        gate_texts=tuple(reader.gate_texts),
        phrases=phrases,
        walls_after=tuple(reader.walls_after),
    )


# --- text -----------------------------------------------------------------------------------

_TEXT, _WALL, _METER, _BOX, _GATE, _BUTTON, _SALES = range(7)
_SEEDS = frozenset({_WALL, _METER, _BOX, _GATE})
_TERMINAL = (*".!?\"'”’»)]…", "。", "！", "？", "」", "』")
# Lines that may sit inside a prompt block (the tail, or between two removed lines): prompt
# classes, or lines of at most _SHORT_LINE_WORDS words ("Enjoying our content?", "Print + digital").
_BLOCK_KINDS = frozenset({_WALL, _METER, _BOX, _GATE, _BUTTON, _SALES})
_SHORT_LINE_WORDS = 6
# What vouches for a WALL line that is not clearly a prompt on its own: a prompt line next to it.
_CONFIRMING = frozenset({_METER, _BOX, _GATE, _BUTTON})
_CONFIRM_OVER_SALES = 2
# A wall phrase with more words of its own sentence around it than this, outside the words
# prompts are made of, is a sentence of the article ("Residents must register to access the
# full consultation document ..."), not a prompt ("Create an account or sign in to continue
# with your reading experience.").
_MAX_CONTEXT_WORDS = 2
_SENTENCE_END_RE = re.compile(r"[.!?;:](?=\s)|[。！？]")
_WORD_RE = re.compile(r"\w+")
_UNSPACED_RE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff66-\uff9f]")
# Reported speech: a prompt does not quote anybody.
_ATTRIBUTION = frozenset({"said", "says", "told", "according", "sagte", "sagt", "déclaré", "dijo", "disse"})
# The words wall prompts are made of (function words, the reader, the article, access), in the
# languages of _WALL_PATTERNS; only the other words of a line count as the article's context.
_PROMPT_WORDS = frozenset((
    "the", "a", "an", "this", "that", "these", "those", "our", "your", "you", "ve", "ll", "re", "d", "s", "it",
    "its", "is", "are", "be", "can", "will", "must", "need", "needs", "please", "now", "today", "here", "just",
    "simply", "only", "first", "then", "also", "all", "and", "or", "to", "of", "for", "with", "in", "on", "at",
    "by", "from", "as", "free", "full", "whole", "rest", "more", "article", "articles", "story", "stories", "piece",
    "content", "contents", "reading", "read", "access", "unlimited", "subscriber", "subscribers", "subscription",
    "subscriptions", "member", "members", "membership", "account", "experience", "journalism", "page", "pages",
    "continue", "keep", "get", "enjoy", "premium", "digital", "exclusive", "exclusively", "available", "reserved",
    "accessible", "open", "paid", "paying", "registered", "print", "der", "die", "das", "den", "dem", "des",
    "dieser", "diesen", "dieses", "ihr", "ihre", "ihrem", "ihren", "ein", "eine", "einem", "einen", "mit", "und",
    "um", "zu", "für", "nur", "exklusiv", "jetzt", "alle", "artikel", "beitrag", "inhalt", "text", "abonnenten",
    "abonnentinnen", "abo", "abonnement", "verfügbar", "lesen", "weiterlesen", "sie", "hier", "ist", "la", "le",
    "les", "l", "de", "du", "des", "cet", "cette", "ce", "à", "aux", "nos", "notre", "votre", "vos", "et", "pour",
    "lecture", "suite", "lire", "est", "pas", "n", "réservé", "réservée", "réservés", "abonnés", "abonné",
    "abonnement", "vous", "el", "los", "las", "este", "esta", "para", "del", "es", "y", "o", "per", "il", "lo",
    "questo", "di", "e", "os", "as", "do", "da", "é", "contenido", "artículo", "contenuto", "articolo", "conteúdo",
    "artigo", "suscriptores", "abbonati", "assinantes", "het", "dit", "een", "voor", "alleen", "abonnees", "om",
    "en"
))  # fmt: skip


def _hinted_lines(lows: list[str], short: list[int]) -> set[int]:
    """Indexes (into `lows`) of the short lines holding a _WALL_HINTS entry: one substring search per hint
    over the short lines joined, instead of a pattern run over every line."""
    # Searched as UTF-8 bytes: a line with one curly quote makes the joined str two bytes a
    # character, and byte searches are faster than those. A hit's line is found by bisecting the
    # line starts, computed once (counting the line breaks before every hit made a page of many
    # prompt lines quadratic).
    parts = [lows[i].encode() for i in short]
    full = b"\n".join(parts)
    starts: list[int] = []
    offset = 0
    for part in parts:
        starts.append(offset)
        offset += len(part) + 1
    found: set[int] = set()
    for hint in _WALL_HINTS_BYTES:
        at = full.find(hint)
        while at != -1:
            line = bisect_right(starts, at) - 1
            found.add(short[line])
            if line + 1 >= len(starts):
                break
            at = full.find(hint, starts[line + 1])
    return found


def _clear_prompt(low: str, phrases: tuple[str, ...]) -> bool:
    """Whether a WALL line reads as a prompt on its own, not as a sentence of the article: its wall
    phrase has at most _MAX_CONTEXT_WORDS words of its own sentence around it (words prompts are
    made of aside; any sales talk after it when nothing comes before it), and it quotes nobody."""
    if any(p in low for p in phrases) or _PERCENT_RE.search(low) or _UNSPACED_RE.search(low):
        # The outlet's own phrase and "57% of this article remains" are prompts wherever they
        # stand; unspaced scripts (Japanese, Chinese) have no words to count.
        return True
    match = _WALL_RE.search(low) or _METER_SPENT_RE.search(low)
    if match is None:
        return True  # not reached: a WALL line holds one of the above (_prompt_kind)
    start = 0
    for end in _SENTENCE_END_RE.finditer(low, 0, match.start()):
        start = end.end()
    stop = _SENTENCE_END_RE.search(low, match.end())
    lead = _WORD_RE.findall(low[start : match.start()])
    trail_text = low[match.end() : stop.start() if stop else len(low)]
    trail = _WORD_RE.findall(trail_text)
    if any(word in _ATTRIBUTION for word in (*lead, *trail)):
        return False
    lead_context = [w for w in lead if w not in _PROMPT_WORDS and len(w) > 1 and not w.isdigit()]
    trail_context = [w for w in trail if w not in _PROMPT_WORDS and len(w) > 1 and not w.isdigit()]
    if not lead_context and _SALES_RE.search(trail_text):
        return True  # "Subscribe now to get full access ... for just £1 a month."
    return len(lead_context) + len(trail_context) <= _MAX_CONTEXT_WORDS


def _prompt_kind(low: str, words: int, hinted: bool, gate_texts: tuple[str, ...], phrases: tuple[str, ...]) -> int:
    """The line's class, SALES aside (decided lazily, only next to a prompt). `low` is normalised,
    `words` its _size; `hinted` says whether it holds one of _HINTS."""
    if not low:
        return _TEXT
    if low.strip(_BUTTON_STRIP) in _BUTTONS:
        return _BUTTON
    if words > _MAX_PROMPT_WORDS:
        return _TEXT
    if phrases and any(p in low for p in phrases):
        return _WALL
    if hinted:
        if _WALL_RE.search(low) or _PERCENT_RE.search(low):
            return _WALL
        if _METER_RE.search(low):
            # "You have reached your limit" means the wall is up, unlike "2 free articles left".
            return _WALL if _METER_SPENT_RE.search(low) else _METER
    if words <= 12 and any(hint in low for hint in _BOX_HINTS) and _BOX_RE.search(low):
        return _BOX
    return _GATE if _in_gate(low, gate_texts) else _TEXT


def _in_gate(low: str, gate_texts: tuple[str, ...]) -> bool:
    """Whether the line is found in the prompt part of a strong gate element's text."""
    return bool(gate_texts) and len(low) >= 12 and any(low in gate for gate in gate_texts)


def _size(text: str) -> int:
    """Length in words, with unspaced scripts (Japanese, Chinese) counted at ~8 characters a word."""
    return max(len(text.split()), len(text) // 8)


def _norm_size(low: str) -> int:
    """_size of a normalised line (single spaces, none at the ends), without splitting it."""
    return max(low.count(" ") + 1, len(low) // 8) if low else 0


def finish(text: str, markup: MarkupSignals, rules: PaywallRules | None = None) -> PaywallReport:
    """Remove prompt lines from `text` and decide whether it is a cut teaser (module docstring)."""
    phrases = markup.phrases or tuple(_norm(p) for p in (rules.phrases if rules else ()) if p.strip())
    lines = text.split("\n")
    rows = [i for i, line in enumerate(lines) if line.strip()]
    # Lines too long to be a prompt are not normalised (most of an article's characters).
    lows = [_norm(lines[i]) if len(lines[i]) <= _MAX_PROMPT_CHARS else "" for i in rows]
    sizes = [_norm_size(low) if low else _MAX_PROMPT_WORDS + 1 for low in lows]
    hinted = _hinted_lines(lows, [i for i, size in enumerate(sizes) if size <= _MAX_PROMPT_WORDS])
    # A line's class depends on its text alone (its size and hints come from it): each distinct
    # line is classed once, so a page repeating one prompt line costs one pattern run, not one each.
    classed: dict[str, int] = {}
    kinds: list[int] = []
    for i, low in enumerate(lows):
        if sizes[i] > _MAX_PROMPT_WORDS:
            kinds.append(_TEXT)
            continue
        kind = classed.get(low)
        if kind is None:
            kind = classed[low] = _prompt_kind(low, sizes[i], i in hinted, markup.gate_texts, phrases)
        kinds.append(kind)
    count = len(kinds)

    def sales(pos: int) -> bool:
        if kinds[pos] == _TEXT and sizes[pos] <= _MAX_PROMPT_WORDS and _SALES_RE.search(lows[pos]):
            kinds[pos] = _SALES
        return kinds[pos] == _SALES

    # A wall phrase inside a sentence of the article ("Residents must register to access the full
    # consultation document ...") is text, unless a prompt line next to it (a button, a login box,
    # a meter, a clear prompt, past at most two sales lines) shows it is part of a prompt block.
    clear: dict[str, bool] = {}  # by line text, as the classes above

    def is_clear(pos: int) -> bool:
        low = lows[pos]
        if low not in clear:
            clear[low] = _clear_prompt(low, phrases)
        return clear[low]

    def vouches(pos: int) -> bool:
        return kinds[pos] in _CONFIRMING or (kinds[pos] == _WALL and is_clear(pos))

    for pos in range(count):
        if kinds[pos] != _WALL or is_clear(pos):
            continue
        confirmed = pos > 0 and vouches(pos - 1)
        ahead = pos + 1
        while not confirmed and ahead < count and ahead - pos <= _CONFIRM_OVER_SALES + 1:
            if vouches(ahead):
                confirmed = True
            elif not sales(ahead):
                break
            ahead += 1
        if not confirmed:
            # Served inside a wall, the line is a prompt all the same (GATE); otherwise text.
            kinds[pos] = _GATE if _in_gate(lows[pos], markup.gate_texts) else _TEXT
    removed = [kind in _SEEDS for kind in kinds]

    # Grow each seed over its neighbouring calls to action (and, after a wall, sales lines). One
    # pass each way: a run of seeds is grown once, not once per seed (quadratic on hostile pages).
    # Back: the BUTTON lines right before a seed (BOX lines are seeds themselves).
    growing = False
    for pos in range(count - 1, -1, -1):
        if kinds[pos] in _SEEDS:
            growing = True
        elif growing and kinds[pos] == _BUTTON:
            removed[pos] = True
        else:
            growing = False
    # Ahead: BUTTON/BOX lines and seeds, and SALES lines once the run holds a WALL/METER/GATE line.
    growing = with_sales = False
    for pos in range(count):
        kind = kinds[pos]
        if kind in _SEEDS:
            growing = True
            with_sales = with_sales or kind != _BOX
        elif growing and (kind in (_BUTTON, _BOX) or (with_sales and sales(pos))):
            removed[pos] = True
        else:
            growing = with_sales = False

    def in_block(pos: int) -> bool:
        # A line that may belong to a prompt block: a prompt class, or very short.
        return sizes[pos] <= _SHORT_LINE_WORDS or kinds[pos] in _BLOCK_KINDS or sales(pos)

    # A short or sales line squeezed between two parts of one prompt box belongs to it.
    for pos in range(1, count - 1):
        squeezed = not removed[pos] and removed[pos - 1] and removed[pos + 1]
        if squeezed and in_block(pos):
            removed[pos] = True

    # Tail rule: a wall prompt near the end starts the prompt block; everything after it goes, if
    # all of it looks like a prompt block (an article paragraph after a wall phrase means the
    # phrase is not where the text stops). Only the last _TAIL_MAX_LINES + 1 lines can start a
    # block, so they are walked from the end with the remainder summed on the way.
    tail_wall = False
    start: int | None = None
    rest_words = 0
    for pos in range(count - 1, max(count - _TAIL_MAX_LINES - 1, 0) - 1, -1):
        if kinds[pos] in (_WALL, _GATE):
            start = pos
        rest_words += sizes[pos]
        if rest_words > _TAIL_MAX_WORDS or sizes[pos] > _MAX_PROMPT_WORDS or not in_block(pos):
            break
    if start is not None:
        for later in range(start, count):
            removed[later] = True
        tail_wall = True
    if not tail_wall and rows and removed[-1]:
        # The text ends in a removed run: a wall prompt inside that run is a prompt after the text.
        pos = count - 1
        while pos >= 0 and removed[pos]:
            tail_wall = tail_wall or kinds[pos] in (_WALL, _GATE)
            pos -= 1

    out = _Signals()
    for pos, row in enumerate(rows):
        if removed[pos]:
            strength: SignalStrength = "strong" if kinds[pos] in (_WALL, _METER, _GATE) else "weak"
            out.add("prompt:stripped", lines[row], strength)
    drop = {row for pos, row in enumerate(rows) if removed[pos]}
    kept = [line for i, line in enumerate(lines) if i not in drop]
    clean = _tidy(kept)

    # Truncation cues on what is left.
    # _tidy leaves no blank line at the end: the last line is the last line with text.
    last = clean[clean.rfind("\n") + 1 :].strip()
    cues: list[str] = []
    if not last:
        # Nothing of the body is served (a hard paywall shows only the headline): on a paywalled
        # page, all of the text is behind the wall.
        cues.append("empty")
    elif last.endswith(("...", "…", "[…]", "[...]")):
        cues.append("ellipsis")
        out.add("truncation:ellipsis", last[-60:], "weak")
    elif last.endswith((":", "：")):
        cues.append("lead-in")
        out.add("truncation:lead-in", last[-60:], "weak")
    elif last and len(last.split()) >= 8 and not last.endswith(_TERMINAL):
        # Kept as evidence only: captions, credits and headings end without a full stop too.
        out.add("truncation:mid-sentence", last[-60:], "weak")
    expected = markup.word_count
    # Counting words splits the whole text: only done when a declared count is there to compare.
    words = len(clean.split()) if expected and expected >= 100 else 0
    if expected and expected >= 150 and words < _SHORT_TEXT_SHARE * expected:
        cues.append("word-count")
        out.add("truncation:word-count", f"{words} of {expected} declared words", "weak")

    # A wall served right after the text's last paragraph means the text stops at the wall (a wall
    # served after an earlier paragraph, with the text going on past it, says nothing).
    wall_at_end = False
    last_low = _norm(last)
    if len(last_low) >= 20:
        for before in markup.walls_after:
            if last_low == before or last_low in before or before.endswith(last_low):
                wall_at_end = True
                out.add("truncation:wall-after-text", last[-60:], "strong")
                break

    signals = markup.signals + tuple(out.items)
    # On a page that declares itself free (a served wall would have made `declared` True), prompt
    # lines stripped from the body are no paywall evidence for the truncation cues of rule d.
    body_counts = markup.declared is not False
    strong = any(s.strength == "strong" for s in markup.signals) or wall_at_end
    strong = strong or (body_counts and any(s.strength == "strong" for s in out.items))
    walled = markup.declared is True or strong
    percent = any(s.kind in ("prompt", "prompt:stripped") and _PERCENT_RE.search(s.detail.lower()) for s in signals)
    full = bool(expected and expected >= 100 and words >= _FULL_TEXT_SHARE * expected)
    cut = not full and (tail_wall or percent or wall_at_end or (walled and bool(cues)))
    return PaywallReport(declared=markup.declared, cut=cut, signals=signals, text=clean)


def _tidy(lines: list[str]) -> str:
    """Join lines, with at most one blank line between blocks and none at either end."""
    out: list[str] = []
    for line in lines:
        if not line.strip():
            if out and out[-1] != "":
                out.append("")
            continue
        out.append(line)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out)

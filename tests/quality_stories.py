"""The stories and the furniture of the extraction quality-gate pages (see tests/quality_pages.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Story:
    lang: str
    slug: str
    title: str
    standfirst: str
    authors: tuple[str, ...]
    published: str  # ISO 8601, as the page states it
    shown_date: str  # as printed beside the headline
    paragraphs: tuple[str, ...]
    subheading: str  # printed between paragraphs 2 and 3
    steps: tuple[str, ...]  # an ordered list after the subheading


@dataclass(frozen=True)
class Furniture:
    newsletter: tuple[str, str]
    donation: str
    read_more: str
    related: tuple[str, str, str]
    comments: tuple[str, str, str]
    affiliate: str
    author_bio: str
    copyright: str
    credit: str
    advertisement: str
    share: str
    inline_link: str  # "Read more: <a>...</a>" inside the body


STORIES = {
    "en": Story(
        "en", "ferry-timetable", "Island Ferry Adds Night Crossings After Summer Crowds",
        "The operator will run two extra sailings each evening from June.",
        ("Hannah Wells", "Omar Siddiqui"), "2024-05-14T08:30:00+01:00", "May 14, 2024",
        (
            "The island's ferry operator will add two late-evening crossings from June, after a "
            "summer in which queues at the harbour stretched for hours and hundreds of travellers "
            "missed the last boat home.",
            "Company figures show passenger numbers rose by almost a fifth last year, while the "
            "timetable had not changed since the new terminal opened a decade ago.",
            "Local businesses welcomed the decision. The owner of a café near the pier said her "
            "evening trade had collapsed because visitors left early to be sure of a seat.",
            "The extra sailings will be staffed by crews moved from the winter freight service, "
            "which carries fewer lorries in the summer months, the operator said.",
            "Councillors want the company to publish weekly figures so that residents can judge "
            "whether the new crossings are enough before the August peak.",
        ),
        "What changes for passengers",
        (
            "Book the late sailings online at least a day ahead.",
            "Arrive at the terminal thirty minutes before departure.",
            "Keep the booking code ready for the ticket check on board.",
        ),
    ),
    "de": Story(
        "de", "radweg-bruecke", "Neue Radbrücke über den Fluss soll im Herbst öffnen",
        "Die Stadt rechnet mit bis zu achttausend Radfahrern am Tag.",
        ("Katrin Vogel",), "2024-03-02T10:15:00+01:00", "2. März 2024",
        (
            "Die neue Brücke für Radfahrer und Fußgänger soll nach Angaben der Stadtverwaltung "
            "im Oktober eröffnet werden, fast ein Jahr später als ursprünglich geplant.",
            "Grund für die Verzögerung seien Lieferprobleme bei den Stahlträgern gewesen, sagte "
            "die Baudezernentin am Mittwoch im Verkehrsausschuss des Stadtrats.",
            "Die Kosten steigen dadurch um rund zwei Millionen Euro. Ein Teil davon soll aus "
            "einem Förderprogramm des Landes für den Radverkehr bezahlt werden.",
            "Anwohner auf beiden Seiten des Flusses hoffen, dass die Brücke den Verkehr auf der "
            "alten Straßenbrücke entlastet, auf der sich morgens lange Staus bilden.",
            "Der Radfahrerverband lobte das Projekt, forderte aber bessere Anschlüsse an das "
            "bestehende Radwegenetz in der Innenstadt.",
        ),
        "Was sich für Pendler ändert",
        (
            "Die Rampen auf beiden Ufern werden zuerst freigegeben.",
            "Die Beleuchtung wird in der Nacht gedimmt.",
            "Im Winter räumt der Bauhof die Brücke vor sechs Uhr.",
        ),
    ),
    "fr": Story(
        "fr", "marche-couvert", "Le marché couvert rouvre ses portes après deux ans de travaux",
        "Une trentaine de commerçants reprennent leurs étals dès samedi.",
        ("Claire Moreau",), "2024-09-21T07:00:00+02:00", "21 septembre 2024",
        (
            "Après deux années de travaux, le marché couvert du centre-ville rouvre samedi avec "
            "une trentaine de commerçants, dont plusieurs nouveaux producteurs de la région.",
            "La rénovation a permis de refaire entièrement la toiture, d'installer un système de "
            "ventilation moderne et de rendre le bâtiment accessible aux personnes handicapées.",
            "Le chantier a coûté près de six millions d'euros, financés en grande partie par la "
            "commune avec l'aide du département et de la région.",
            "Les commerçants installés pendant les travaux sous des tentes sur la place voisine "
            "se disent soulagés de retrouver un lieu abrité avant l'hiver.",
            "La mairie prévoit d'ouvrir le marché le dimanche matin à partir du printemps si la "
            "fréquentation le permet.",
        ),
        "Ce qui change pour les clients",
        (
            "Les horaires sont élargis le vendredi soir.",
            "Un parking à vélos est installé devant l'entrée nord.",
            "Les paiements par carte sont acceptés partout.",
        ),
    ),
    "es": Story(
        "es", "biblioteca-barrio", "La biblioteca del barrio amplía su horario durante los exámenes",
        "Las salas de estudio abrirán hasta la medianoche durante seis semanas.",
        ("Lucía Romero", "Diego Navarro"), "2024-01-08T09:45:00+01:00", "8 de enero de 2024",
        (
            "La biblioteca municipal del barrio ampliará su horario hasta la medianoche durante "
            "el periodo de exámenes, después de que los estudiantes reunieran más de mil firmas.",
            "El ayuntamiento contratará a cuatro auxiliares adicionales para cubrir los turnos "
            "de noche, con un coste aproximado de cuarenta mil euros.",
            "Los vecinos mayores pidieron que se mantenga una sala silenciosa por la mañana para "
            "quienes acuden a leer la prensa y consultar los ordenadores.",
            "La directora de la biblioteca explicó que la medida se evaluará al final del curso "
            "y podría repetirse en los exámenes de junio.",
            "Las asociaciones de estudiantes celebraron la decisión, aunque reclaman más enchufes "
            "y una conexión a internet más rápida en las salas.",
        ),
        "Qué cambia para los usuarios",
        (
            "Se necesita el carné para entrar después de las diez.",
            "Las mochilas grandes se dejan en las taquillas.",
            "La cafetería cierra a las nueve de la noche.",
        ),
    ),
}

FURNITURE = {
    "en": Furniture(
        ("Get our morning newsletter", "The day's local stories in your inbox before breakfast."),
        "Please consider making a donation today: our reporting is free for everyone.",
        "Read more",
        ("Harbour car park to close for repairs", "School term dates announced",
         "New bus route links the two villages"),
        ("Comments", "Finally! The last boat was always full.", "They should run boats every hour."),
        "This article contains affiliate links; we may earn a commission on purchases.",
        "Hannah Wells covers transport and the coast for the Island Courier.",
        "© 2024 Island Courier. All rights reserved.",
        "Photo: Peter Lane / Island Courier",
        "Advertisement",
        "Share this article",
        "Read more: Harbour car park to close for repairs",
    ),
    "de": Furniture(
        ("Newsletter abonnieren", "Die wichtigsten Nachrichten aus der Stadt jeden Morgen."),
        "Unterstützen Sie unseren unabhängigen Journalismus mit einer Spende.",
        "Mehr zum Thema",
        ("Sperrung der Hauptstraße verlängert", "Neuer Spielplatz im Stadtpark",
         "Busse fahren am Wochenende häufiger"),
        ("Kommentare", "Endlich! Darauf warten wir seit Jahren.", "Viel zu teuer für eine Brücke."),
        "Dieser Artikel enthält Affiliate-Links: Für Käufe erhalten wir eine Provision.",
        "Katrin Vogel berichtet für das Stadtblatt über Verkehr und Stadtentwicklung.",
        "© 2024 Stadtblatt. Alle Rechte vorbehalten.",
        "Foto: Jens Ahrens / Stadtblatt",
        "Anzeige",
        "Artikel teilen",
        "Lesen Sie auch: Sperrung der Hauptstraße verlängert",
    ),
    "fr": Furniture(
        ("Inscrivez-vous à notre lettre d'information", "L'essentiel de l'actualité locale chaque matin."),
        "Soutenez notre journalisme indépendant : faites un don dès aujourd'hui.",
        "À lire aussi",
        ("La rue principale fermée pour travaux", "Un nouveau parc pour les enfants",
         "Les bus circuleront plus souvent le week-end"),
        ("Commentaires", "Enfin ! Nous attendions cela depuis longtemps.", "Trop cher pour un marché."),
        "Cet article contient des liens affiliés : nous touchons une commission sur les achats.",
        "Claire Moreau suit la vie locale et l'économie pour La Gazette.",
        "© 2024 La Gazette. Tous droits réservés.",
        "Photo : Marc Petit / La Gazette",
        "Publicité",
        "Partager cet article",
        "Lire aussi : La rue principale fermée pour travaux",
    ),
    "es": Furniture(
        ("Suscríbete a nuestro boletín", "Las noticias del barrio cada mañana en tu correo."),
        "Apoya nuestro periodismo independiente con una donación.",
        "Lee también",
        ("Cortes de tráfico en la avenida principal", "Nuevo parque infantil en la plaza",
         "Más autobuses los fines de semana"),
        ("Comentarios", "¡Por fin! Lo pedíamos desde hace años.", "Deberían abrir también los domingos."),
        "Este artículo contiene enlaces de afiliados: recibimos una comisión por las compras.",
        "Lucía Romero escribe sobre educación y cultura para El Vecino.",
        "© 2024 El Vecino. Todos los derechos reservados.",
        "Foto: Ana Gil / El Vecino",
        "Publicidad",
        "Compartir este artículo",
        "Lee también: Cortes de tráfico en la avenida principal",
    ),
}

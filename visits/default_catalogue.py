"""The catalogue that ships with NOMAD: version 1 of each activity.

Starting values from SPEC §3.4 (no official norm exists): a flat is cleaned at about
30 m²/h (dusting and floors ≈ 1.8 min/m² plus a few fixed minutes per room), a house
20 % slower, a cluttered home 15 % slower, 15 minutes for an oven or a fridge, 5 minutes
per ironed shirt. Staff change them by publishing a new version in the admin.
"""

from __future__ import annotations

from typing import Any

FREQUENCY_CHOICES = [
    {"value": "each", "label_fr": "À chaque intervention", "label_en": "Every intervention"},
    {
        "value": "every_2",
        "label_fr": "Une intervention sur deux",
        "label_en": "Every other intervention",
    },
    {
        "value": "every_4",
        "label_fr": "Une intervention sur quatre",
        "label_en": "Every fourth intervention",
    },
]
SCHEDULE_FREQUENCIES = [
    {"value": "twice_weekly", "label_fr": "Deux fois par semaine", "label_en": "Twice a week"},
    {"value": "weekly", "label_fr": "Toutes les semaines", "label_en": "Every week"},
    {"value": "fortnightly", "label_fr": "Tous les quinze jours", "label_en": "Every fortnight"},
    {"value": "monthly", "label_fr": "Tous les mois", "label_en": "Every month"},
]
DAYS = [
    {"value": v, "label_fr": fr, "label_en": en}
    for v, fr, en in [
        ("mon", "Lundi", "Monday"),
        ("tue", "Mardi", "Tuesday"),
        ("wed", "Mercredi", "Wednesday"),
        ("thu", "Jeudi", "Thursday"),
        ("fri", "Vendredi", "Friday"),
        ("sat", "Samedi", "Saturday"),
    ]
]
SLOTS = [
    {"value": "morning", "label_fr": "Matin (8 h – 12 h)", "label_en": "Morning (8–12)"},
    {"value": "midday", "label_fr": "Midi (12 h – 14 h)", "label_en": "Midday (12–2 pm)"},
    {
        "value": "afternoon",
        "label_fr": "Après-midi (14 h – 18 h)",
        "label_en": "Afternoon (2–6 pm)",
    },
]


def q(key: str, type_: str, fr: str, en: str, **extra: Any) -> dict[str, Any]:
    return {"key": key, "type": type_, "label_fr": fr, "label_en": en, **extra}


def task(
    key: str, fr: str, en: str, fixed: str, per_m2: str = "0", freq: str = "each"
) -> dict[str, Any]:
    return {
        "key": key,
        "label_fr": fr,
        "label_en": en,
        "fixed_minutes": fixed,
        "minutes_per_m2": per_m2,
        "default_frequency": freq,
    }


DUSTING = ("dusting", "Poussières", "Dusting")
FLOORS = ("floors", "Sols (aspirateur et lavage)", "Floors (vacuum and mop)")

ACCESS_SECTION = {
    "key": "access",
    "step": "household",
    "label_fr": "Accès au domicile",
    "label_en": "Access to the home",
    "questions": [
        q(
            "keys",
            "choice",
            "Clés",
            "Keys",
            required=True,
            choices=[
                {
                    "value": "client_present",
                    "label_fr": "Le client est présent",
                    "label_en": "The client is at home",
                },
                {
                    "value": "keys_given",
                    "label_fr": "Clés remises à l’agence",
                    "label_en": "Keys left with the agency",
                },
                {"value": "key_box", "label_fr": "Boîte à clés", "label_en": "Key box"},
            ],
        ),
        q(
            "door_code",
            "text",
            "Code d’accès (porte, portail)",
            "Door or gate code",
            sensitive=True,
        ),
        q("alarm", "yes_no", "Alarme", "Alarm"),
        q("alarm_code", "text", "Code de l’alarme", "Alarm code", sensitive=True),
        q("pets", "text", "Animaux (espèce, nom, consignes)", "Pets (kind, name, instructions)"),
    ],
}
SCHEDULE_DAYS = [
    q("days", "multi_choice", "Jours souhaités", "Preferred days", choices=DAYS),
    q("time_slots", "multi_choice", "Créneaux souhaités", "Preferred time slots", choices=SLOTS),
    q("start_date", "date", "Date de début souhaitée", "Preferred start date"),
]

HOUSEKEEPING: dict[str, Any] = {
    "activity": "housekeeping",
    "notes": "Catalogue initial (normes de départ de la spécification).",
    "norms": [
        ("house_factor", "1.20", "factor", "Coefficient maison", "House factor"),
        (
            "clutter_factor",
            "1.15",
            "factor",
            "Coefficient logement encombré",
            "Cluttered-home factor",
        ),
        (
            "stairs_minutes",
            "10",
            "min",
            "Escalier, par niveau supplémentaire",
            "Stairs, per extra level",
        ),
        ("oven_minutes", "15", "min", "Four", "Oven"),
        ("fridge_minutes", "15", "min", "Réfrigérateur", "Fridge"),
        ("balcony_minutes", "10", "min", "Balcon ou terrasse", "Balcony or terrace"),
        ("window_minutes", "5", "min", "Vitre (par fenêtre)", "Window (each)"),
        ("shirt_minutes", "5", "min", "Chemise repassée", "Ironed shirt"),
        ("ironing_item_minutes", "3", "min", "Autre pièce repassée", "Other ironed item"),
    ],
    "room_types": [
        {
            "key": "kitchen",
            "label_fr": "Cuisine",
            "label_en": "Kitchen",
            "default_surface_m2": "10",
            "tasks": [
                task(*FLOORS, "3", "1"),
                task("worktops", "Plans de travail et évier", "Worktops and sink", "15"),
                task("appliances", "Électroménager (extérieur)", "Appliances (outside)", "5"),
            ],
        },
        {
            "key": "bathroom",
            "label_fr": "Salle de bains",
            "label_en": "Bathroom",
            "default_surface_m2": "6",
            "tasks": [
                task(
                    "sanitary",
                    "Sanitaires (douche, baignoire, lavabo)",
                    "Shower, bath, basin",
                    "20",
                ),
                task(*FLOORS, "3", "1"),
                task("mirrors", "Miroirs et faïence", "Mirrors and tiles", "5", freq="every_2"),
            ],
        },
        {
            "key": "wc",
            "label_fr": "WC",
            "label_en": "Toilet",
            "default_surface_m2": "2",
            "tasks": [
                task("sanitary", "Sanitaires", "Toilet bowl", "10"),
                task(*FLOORS, "2", "1"),
            ],
        },
        {
            "key": "living",
            "label_fr": "Séjour",
            "label_en": "Living room",
            "default_surface_m2": "25",
            "tasks": [
                task(*DUSTING, "3", "0.8"),
                task(*FLOORS, "3", "1"),
            ],
        },
        {
            "key": "dining",
            "label_fr": "Salle à manger",
            "label_en": "Dining room",
            "default_surface_m2": "15",
            "tasks": [
                task(*DUSTING, "3", "0.8"),
                task(*FLOORS, "3", "1"),
            ],
        },
        {
            "key": "bedroom",
            "label_fr": "Chambre",
            "label_en": "Bedroom",
            "default_surface_m2": "12",
            "tasks": [
                task(*DUSTING, "3", "0.8"),
                task(*FLOORS, "3", "1"),
                task(
                    "beds", "Lits (changer les draps)", "Beds (change sheets)", "10", freq="every_2"
                ),
            ],
        },
        {
            "key": "office",
            "label_fr": "Bureau",
            "label_en": "Office",
            "default_surface_m2": "10",
            "tasks": [
                task(*DUSTING, "3", "0.8"),
                task(*FLOORS, "3", "1"),
            ],
        },
        {
            "key": "hallway",
            "label_fr": "Entrée et couloir",
            "label_en": "Hall and corridor",
            "default_surface_m2": "8",
            "tasks": [
                task(*DUSTING, "2", "0.5"),
                task(*FLOORS, "2", "1"),
            ],
        },
        {
            "key": "laundry",
            "label_fr": "Buanderie",
            "label_en": "Laundry room",
            "default_surface_m2": "5",
            "tasks": [
                task(*FLOORS, "2", "1"),
            ],
        },
    ],
    "sections": [
        {
            "key": "dwelling",
            "step": "dwelling",
            "label_fr": "Logement",
            "label_en": "Dwelling",
            "questions": [
                q(
                    "dwelling_type",
                    "choice",
                    "Type de logement",
                    "Type of dwelling",
                    required=True,
                    choices=[
                        {"value": "flat", "label_fr": "Appartement", "label_en": "Flat"},
                        {"value": "house", "label_fr": "Maison", "label_en": "House"},
                    ],
                ),
                q(
                    "surface_m2",
                    "number",
                    "Surface habitable",
                    "Living area",
                    unit="m²",
                    min_value="5",
                    max_value="1000",
                    required=True,
                ),
                q(
                    "levels",
                    "number",
                    "Nombre de niveaux",
                    "Number of levels",
                    min_value="1",
                    max_value="6",
                    required=True,
                ),
                q("cluttered", "yes_no", "Logement encombré", "Cluttered home"),
            ],
        },
        {
            "key": "rooms",
            "step": "dwelling",
            "label_fr": "Pièces",
            "label_en": "Rooms",
            "questions": [
                q("rooms", "rooms", "Pièces à entretenir", "Rooms to clean"),
            ],
        },
        {
            "key": "ironing",
            "step": "ironing_extras",
            "label_fr": "Repassage",
            "label_en": "Ironing",
            "questions": [
                q(
                    "ironing_shirts_per_week",
                    "number",
                    "Chemises par semaine",
                    "Shirts per week",
                    unit="pièces",
                    min_value="0",
                    max_value="100",
                ),
                q(
                    "ironing_items_per_week",
                    "number",
                    "Autres pièces par semaine",
                    "Other items per week",
                    unit="pièces",
                    min_value="0",
                    max_value="300",
                ),
            ],
        },
        {
            "key": "extras",
            "step": "ironing_extras",
            "label_fr": "Prestations complémentaires",
            "label_en": "Extras",
            "questions": [
                q(
                    "extras",
                    "multi_choice",
                    "Prestations complémentaires",
                    "Extras",
                    choices=[
                        {
                            "value": "oven",
                            "label_fr": "Four (intérieur)",
                            "label_en": "Oven (inside)",
                        },
                        {
                            "value": "fridge",
                            "label_fr": "Réfrigérateur (intérieur)",
                            "label_en": "Fridge (inside)",
                        },
                        {
                            "value": "balcony",
                            "label_fr": "Balcon ou terrasse",
                            "label_en": "Balcony or terrace",
                        },
                    ],
                ),
                q(
                    "extras_frequency",
                    "choice",
                    "Fréquence des prestations complémentaires",
                    "How often for extras",
                    choices=FREQUENCY_CHOICES,
                ),
                q(
                    "windows_count",
                    "number",
                    "Nombre de fenêtres à nettoyer",
                    "Windows to clean",
                    min_value="0",
                    max_value="80",
                ),
                q(
                    "windows_frequency",
                    "choice",
                    "Fréquence des vitres",
                    "How often for windows",
                    choices=FREQUENCY_CHOICES,
                ),
            ],
        },
        {
            "key": "products",
            "step": "household",
            "label_fr": "Produits et matériel",
            "label_en": "Products and equipment",
            "questions": [
                q(
                    "products_by",
                    "choice",
                    "Produits fournis par",
                    "Products provided by",
                    required=True,
                    choices=[
                        {"value": "client", "label_fr": "Le client", "label_en": "The client"},
                        {"value": "company", "label_fr": "L’entreprise", "label_en": "The company"},
                    ],
                ),
                q("products_location", "text", "Où sont les produits", "Where the products are"),
                q(
                    "equipment",
                    "multi_choice",
                    "Matériel disponible",
                    "Equipment available",
                    choices=[
                        {"value": "vacuum", "label_fr": "Aspirateur", "label_en": "Vacuum cleaner"},
                        {"value": "mop", "label_fr": "Balai et seau", "label_en": "Mop and bucket"},
                        {"value": "iron", "label_fr": "Fer à repasser", "label_en": "Iron"},
                        {
                            "value": "ironing_board",
                            "label_fr": "Table à repasser",
                            "label_en": "Ironing board",
                        },
                        {
                            "value": "steam",
                            "label_fr": "Nettoyeur vapeur",
                            "label_en": "Steam cleaner",
                        },
                    ],
                ),
                q("equipment_location", "text", "Où est le matériel", "Where the equipment is"),
            ],
        },
        ACCESS_SECTION,
        {
            "key": "instructions",
            "step": "instructions",
            "label_fr": "Consignes particulières",
            "label_en": "Special instructions",
            "questions": [
                q("priorities", "text", "Priorités", "Priorities"),
                q("never_touch", "text", "À ne jamais toucher", "Never touch"),
                q("general_instructions", "text", "Autres consignes", "Other instructions"),
            ],
        },
        {
            "key": "schedule",
            "step": "schedule",
            "label_fr": "Rythme souhaité",
            "label_en": "Schedule wishes",
            "questions": [
                q(
                    "frequency",
                    "choice",
                    "Fréquence des interventions",
                    "How often",
                    required=True,
                    choices=SCHEDULE_FREQUENCIES,
                ),
                *SCHEDULE_DAYS,
            ],
        },
    ],
}

GARDENING: dict[str, Any] = {
    "activity": "gardening",
    "notes": "Catalogue initial (normes de départ de la spécification).",
    "norms": [
        ("lawn_m2_per_hour", "400", "m²/h", "Tonte", "Mowing"),
        ("hedge_m_per_hour", "20", "m/h", "Taille de haies", "Hedge trimming"),
        ("weeding_m2_per_hour", "30", "m²/h", "Désherbage", "Weeding"),
        ("green_waste_minutes", "20", "min", "Évacuation des déchets verts", "Green-waste removal"),
    ],
    "room_types": [],
    "sections": [
        {
            "key": "garden",
            "step": "garden",
            "label_fr": "Jardin",
            "label_en": "Garden",
            "questions": [
                q(
                    "garden_surface_m2",
                    "number",
                    "Surface du jardin",
                    "Garden area",
                    unit="m²",
                    min_value="0",
                    max_value="50000",
                    required=True,
                ),
                q(
                    "lawn_m2",
                    "number",
                    "Pelouse à tondre",
                    "Lawn to mow",
                    unit="m²",
                    min_value="0",
                    max_value="50000",
                ),
                q(
                    "hedge_m",
                    "number",
                    "Haies à tailler",
                    "Hedges to trim",
                    unit="m",
                    min_value="0",
                    max_value="2000",
                ),
                q(
                    "weeding_m2",
                    "number",
                    "Surface à désherber",
                    "Area to weed",
                    unit="m²",
                    min_value="0",
                    max_value="5000",
                ),
                q("green_waste", "yes_no", "Évacuation des déchets verts", "Green-waste removal"),
                q(
                    "garden_equipment",
                    "multi_choice",
                    "Matériel du client",
                    "Client's equipment",
                    choices=[
                        {"value": "mower", "label_fr": "Tondeuse", "label_en": "Mower"},
                        {
                            "value": "trimmer",
                            "label_fr": "Taille-haie",
                            "label_en": "Hedge trimmer",
                        },
                        {
                            "value": "strimmer",
                            "label_fr": "Débroussailleuse",
                            "label_en": "Strimmer",
                        },
                        {"value": "blower", "label_fr": "Souffleur", "label_en": "Leaf blower"},
                    ],
                ),
                q(
                    "garden_frequency",
                    "choice",
                    "Fréquence des interventions au jardin",
                    "How often in the garden",
                    required=True,
                    choices=SCHEDULE_FREQUENCIES,
                ),
            ],
        },
        ACCESS_SECTION,
        {
            "key": "garden_instructions",
            "step": "instructions",
            "label_fr": "Consignes au jardin",
            "label_en": "Garden instructions",
            "questions": [
                q(
                    "garden_instructions",
                    "text",
                    "Consignes (massifs à préserver, accès au jardin…)",
                    "Instructions (beds to preserve, garden access…)",
                ),
            ],
        },
        {
            "key": "garden_schedule",
            "step": "schedule",
            "label_fr": "Rythme souhaité",
            "label_en": "Schedule wishes",
            "questions": SCHEDULE_DAYS,
        },
    ],
}

DEFAULT_CATALOGUES = [HOUSEKEEPING, GARDENING]

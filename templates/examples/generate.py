#!/usr/bin/env python3
"""Writes the example data of every kind of record (templates/examples/*.json).

The acta of 20 pages with 9 attendees is used by the documents service's
benchmark and tests and by the signing service's tests; its length is tuned
with PARAGRAPHS_PER_ITEM. Deterministic: run it again and nothing changes.
"""
import json
import pathlib
import random

HERE = pathlib.Path(__file__).parent
rng = random.Random(20261121)

SECRETARIAT = {"id": "stl-jalisco", "name": "Secretariado Técnico Local de Gobierno Abierto de Jalisco", "preset": "jalisco"}

SEATS = [
    ("organo_garante", "Órgano garante (ITEI)", "Órgano garante", "organo_garante"),
    ("ejecutivo", "Poder Ejecutivo", "Gobierno", "gobierno"),
    ("judicial", "Poder Judicial", "Gobierno", "gobierno"),
    ("legislativo", "Poder Legislativo", "Gobierno", "gobierno"),
    ("municipio", "Gobierno municipal de Zapopan", "Gobierno", "gobierno"),
    ("academia", "Academia", "Sociedad civil", "sociedad_civil"),
    ("empresarial", "Sector empresarial", "Sociedad civil", "sociedad_civil"),
    ("osc", "Organización de la sociedad civil", "Sociedad civil", "sociedad_civil"),
    ("tecnologica", "Comunidad tecnológica", "Sociedad civil", "sociedad_civil"),
]

# (member id, name, RFC, capacity). The civil-society organisation's titular
# carries the RFC of SAT's public test e.firma (EKU9003173C9), so the signing
# service's tests can sign this example with it.
PEOPLE = [
    ("m-itei-titular", "María Guadalupe Peña Ibáñez", "PEIM800101AB1", "titular"),
    ("m-ejecutivo-titular", "José Luis Núñez Ortega", "NUOJ750505CD2", "titular"),
    ("m-judicial-suplente", "Ana Sofía Martínez Muñoz", "MAMA850712EF3", "suplente"),
    ("m-legislativo-titular", "Raúl Hernández Saldaña", "HESR700320GH4", "titular"),
    ("m-municipio-titular", "Lucía Begoña Ramírez Cañedo", "RACL881130IJ5", "titular"),
    ("m-academia-titular", "Jesús Ángel Íñiguez Pérez", "IIPJ690815KL6", "titular"),
    ("m-empresarial-suplente", "Verónica Ochoa Treviño", "OOTV910204MN7", "suplente"),
    ("m-osc-titular", "Escuela Kemper Urgate, A. C.", "EKU9003173C9", "titular"),
    ("m-tecnologica-titular", "Andrés Peñaloza Quiñones", "PEQA830918OP8", "titular"),
]

FACILITATOR = {"member_id": "m-facilitador", "name": "Patricia Díaz Muñiz", "rfc": "DIMP870606QR9",
               "capacity": "facilitador", "seat": None, "project": None,
               "stays": [{"arrived_at": "2026-11-19T09:55:00-06:00", "departed_at": None, "arrived": "09:55", "departed": None}]}

SENTENCES = [
    "La Presidencia expuso los antecedentes del punto y recordó que el mecanismo de gobernanza exige que las decisiones se adopten preferentemente por consenso.",
    "La representación de la sociedad civil organizada señaló la necesidad de publicar los datos abiertos en formatos reutilizables, conforme al principio de máxima publicidad.",
    "El Poder Ejecutivo informó que la Secretaría de Planeación y Participación Ciudadana concluyó la revisión técnica de los compromisos y que los avances se publicarán en el portal del Secretariado.",
    "La academia propuso acompañar la metodología de seguimiento con indicadores verificables, de modo que cualquier persona pueda comprobar el cumplimiento de cada compromiso.",
    "El sector empresarial manifestó su disposición para compartir la experiencia de las cámaras en la apertura de información sobre contrataciones públicas.",
    "La comunidad tecnológica presentó un prototipo del tablero de seguimiento y explicó que su código se liberará con una licencia libre para su reutilización por otros municipios.",
    "El Poder Judicial expuso los avances en la publicación de versiones públicas de sentencias y la protección de datos personales de las partes.",
    "El Poder Legislativo recordó que la iniciativa de reforma en materia de parlamento abierto se encuentra en estudio en comisiones y que se convocará a foros de consulta.",
    "El Gobierno municipal de Zapopan informó sobre la apertura de los datos del presupuesto participativo y sobre las mesas de diálogo realizadas en las colonias del municipio.",
    "Se hizo notar que la información debe publicarse en lenguaje ciudadano, con accesibilidad para personas con discapacidad y en las lenguas indígenas que correspondan.",
    "Tras un intercambio de opiniones, las personas integrantes coincidieron en que la calendarización propuesta es viable si se cuenta con el apoyo de las áreas de transparencia.",
    "La facilitadora tomó nota de las observaciones y se comprometió a circular el documento ajustado a más tardar en la semana siguiente, para su revisión en línea.",
    "Se precisó que las observaciones recibidas a través del buzón de quejas y sugerencias serán respondidas por escrito y publicadas con los datos personales protegidos.",
    "Algunas personas integrantes señalaron que el año anterior los compromisos se retrasaron por falta de presupuesto, por lo que pidieron que cada institución informe sus recursos asignados.",
    "La representación de la academia subrayó la importancia de evaluar el impacto de los compromisos en la ciudadanía y no solo el cumplimiento de las actividades.",
    "Se acordó que el calendario de sesiones ordinarias se publique en el portal con al menos un mes de anticipación, para favorecer la participación de la ciudadanía.",
    "La Presidencia agradeció la participación de las niñas, niños y adolescentes del ejercicio de consulta, cuyas propuestas se integrarán al diagnóstico del siguiente plan.",
    "Se discutió el mecanismo de incorporación de miembros invitados y se recordó que su participación es con voz y sin voto, durante la vigencia de su proyecto.",
]

AGENDA = [
    ("Lista de asistencia y verificación del quórum", None),
    ("Lectura y aprobación del orden del día", None),
    ("Lectura y aprobación del acta de la sesión anterior", "El acta se circuló con cinco días hábiles de anticipación."),
    ("Informe de avances del Plan de Acción Local 2025–2027", "Avance de cada compromiso al tercer trimestre."),
    ("Compromiso 1: contrataciones abiertas", "Publicación de datos de contrataciones en el estándar de datos abiertos."),
    ("Compromiso 2: parlamento abierto", "Calendario de foros de consulta sobre la reforma."),
    ("Compromiso 3: justicia abierta", "Versiones públicas de sentencias."),
    ("Compromiso 4: presupuesto participativo municipal", "Resultados de la consulta en Zapopan."),
    ("Tablero ciudadano de seguimiento", "Presentación del prototipo de la comunidad tecnológica."),
    ("Incorporación de miembros invitados", "Solicitudes recibidas por el portal."),
    ("Calendario de sesiones del año 2027", None),
    ("Asuntos generales", None),
]

PARAGRAPHS_PER_ITEM = 8


def paragraph():
    return " ".join(rng.sample(SENTENCES, 5))


def attendance():
    seats = []
    for (seat, name, sector, group), (mid, pname, rfc, cap) in zip(SEATS, PEOPLE):
        seats.append({
            "seat": seat, "seat_name": name, "sector": sector, "group": group, "active": True,
            "represented_by": cap, "suplente_acted": cap == "suplente",
            "attendees": [{"member_id": mid, "name": pname, "rfc": rfc, "capacity": cap, "seat": seat, "project": None,
                           "stays": [{"arrived_at": "2026-11-19T10:00:00-06:00", "departed_at": None, "arrived": "10:00", "departed": None}]}],
        })
    return {"seats": seats, "others": [FACILITATOR]}


def signers():
    return [{"member_id": mid, "name": name, "rfc": rfc, "email": f"{mid}@ejemplo.mx", "capacity": cap,
             "seat": seat[0], "seat_name": seat[1]} for seat, (mid, name, rfc, cap) in zip(SEATS, PEOPLE)]


QUORUM = {"ok": True, "represented": 9, "active": 9, "civil_society_represented": True,
          "explanation": "quórum: 9 de 9 asientos activos representados, incluye sociedad civil"}


def session_record(kind, title, record, folio, items, paragraphs, n_agreements):
    agenda_items = []
    for i, (t, desc) in enumerate(items, start=1):
        delib = None if i <= 2 else "\n\n".join(paragraph() for _ in range(paragraphs))
        agenda_items.append({"position": i, "title": t, "description": desc, "deliberation": delib, "motions": []})
    agreements, motions = [], []
    for n in range(1, n_agreements + 1):
        unanimous = n % 3 != 0
        favor, contra, abst = (9, 0, 0) if unanimous else (6, 2, 1)
        decided = "consenso" if unanimous else "mayoria"
        expl = ("aprobado por consenso: los 9 asientos representados votaron a favor" if unanimous else
                "aprobado por mayoría: 6 votos a favor, 2 en contra y 1 abstención de 9 asientos representados; la mayoría incluye votos de sociedad civil (academia y comunidad tecnológica)")
        item = 3 + (n % (len(items) - 3))
        agenda_items[item - 1]["motions"].append(n)
        text = rng.choice([
            "Se aprueba el informe de avances del Plan de Acción Local y se instruye su publicación en el portal del Secretariado",
            "Se aprueba el calendario de foros de consulta de parlamento abierto, con sedes en Guadalajara, Zapopan y Tlaquepaque",
            "Se instruye a la facilitación integrar las observaciones de la academia a la metodología de seguimiento",
            "Se aprueba publicar el tablero ciudadano de seguimiento con licencia libre y datos en formato abierto",
            "Se aprueba la incorporación de la organización «Ciudadanía en Red» como miembro invitado por la duración de su proyecto",
            "Se solicita a cada institución informar el presupuesto asignado a sus compromisos en la siguiente sesión",
        ])
        folio_a = f"{folio}/ACU-{n:02d}"
        decision = {"outcome": "aprobado", "by": decided, "favor": favor, "contra": contra, "abstencion": abst,
                    "civil_society_in_favor": True, "explanation": expl}
        motions.append({"id": f"mot-{n}", "number": n, "agenda_item": item, "text": text, "voted_at": "2026-11-19T11:00:00-06:00",
                        "time": "11:00", "quorum": QUORUM, "decision": decision, "votes": []})
        agreements.append({"id": f"acu-{n}", "number": n, "folio": folio_a, "text": text,
                           "responsible_seat": "ejecutivo", "responsible_seat_name": rng.choice([s[1] for s in SEATS]),
                           "due_on": f"2027-0{1 + n % 6}-15", "status": "pendiente", "motion": n, "outcome": "aprobado",
                           "decided_by": decided, "favor": favor, "contra": contra, "abstencion": abst,
                           "explanation": expl, "quorum": QUORUM["explanation"]})
    motions.append({"id": "mot-r", "number": n_agreements + 1, "agenda_item": len(items), "text": "Realizar la siguiente sesión ordinaria en modalidad exclusivamente remota",
                    "voted_at": "2026-11-19T13:10:00-06:00", "time": "13:10", "quorum": QUORUM,
                    "decision": {"outcome": "rechazado", "by": "mayoria", "favor": 3, "contra": 5, "abstencion": 1, "civil_society_in_favor": True,
                                 "explanation": "rechazado: 3 votos a favor, 5 en contra y 1 abstención; no se alcanzó la mayoría de los asientos representados"},
                    "votes": []})
    return {
        "secretariat": SECRETARIAT,
        "session": {"id": f"ses-{folio.lower()}", "kind": kind, "title": title, "record": record, "number": 4, "folio": folio,
                    "date": "2026-11-19", "scheduled_time": "10:00", "place": "la Sala de Juntas del ITEI, avenida Ignacio L. Vallarta 1312, Guadalajara, Jalisco",
                    "opened_at": "2026-11-19T10:05:00-06:00", "closed_at": "2026-11-19T13:40:00-06:00",
                    "start_time": "10:05", "end_time": "13:40", "utc_offset_minutes": -360},
        "convocatoria": {"issued_on": "2026-11-10", "notice": {"ok": True, "explanation": "emitida con 5 días hábiles de anticipación (mínimo 5)"}},
        "attendance": attendance(),
        "quorum": {"at_opening": QUORUM},
        "agenda": {"items": agenda_items, "approval": {"finding": {"approved": True, "against": [],
                   "explanation": "orden del día aprobado: ningún asiento representado votó en contra"}, "votes": [], "at": 1795276800000}},
        "motions": motions,
        "agreements": agreements,
        "signers": signers(),
        "rules": {"preset": "jalisco", "president_seat": "organo_garante"},
    }


def issuer_signers():
    return [
        {"id": "m-itei-titular", "name": "María Guadalupe Peña Ibáñez", "rfc": "PEIM800101AB1", "seat": "Órgano garante (ITEI)", "role": "Presidenta"},
        {"id": "m-facilitador", "name": "Patricia Díaz Muñiz", "rfc": "DIMP870606QR9", "seat": "Facilitación", "role": "Facilitadora"},
    ]


def write(name, data):
    (HERE / name).write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


write("acta.json", session_record("ordinaria", "Sesión ordinaria", "acta", "2026-ORD-04", AGENDA, 2, 4))
write("acta-20-paginas.json", session_record("ordinaria", "Sesión ordinaria", "acta", "2026-ORD-05", AGENDA, PARAGRAPHS_PER_ITEM, 23))
write("acta-extraordinaria.json", session_record("extraordinaria", "Sesión extraordinaria", "acta", "2026-EXT-01", AGENDA[:5], 1, 2))
minuta = session_record("reunion_de_trabajo", "Reunión de trabajo", "minuta", "2026-RT-07", AGENDA[3:8], 1, 2)
minuta["quorum"] = {"at_opening": None}
write("minuta.json", minuta)

write("convocatoria.json", {
    "secretariat": SECRETARIAT,
    "folio": "2026-ORD-05/CONV",
    "issued_on": "2026-11-30",
    "issued_at": "Guadalajara, Jalisco",
    "session": {"id": "ses-2026-ord-05", "kind": "ordinaria", "title": "Quinta sesión ordinaria", "date": "2026-12-09",
                "scheduled_time": "10:00", "place": "la Sala de Juntas del ITEI, avenida Ignacio L. Vallarta 1312, Guadalajara, Jalisco"},
    "notice": {"explanation": "se emite con 6 días hábiles de anticipación; el mínimo es de 5 días hábiles, contados entre la emisión y la sesión sin incluir ninguna de las dos fechas (000 V.6)"},
    "agenda": [{"position": i, "title": t, "description": d} for i, (t, d) in enumerate(AGENDA, start=1)],
    "recipients": [{"name": name, "seat": seat[1], "role": cap} for seat, (_, name, _, cap) in zip(SEATS, PEOPLE)],
    "signers": issuer_signers(),
})

write("informe.json", {
    "secretariat": SECRETARIAT,
    "folio": "2026-INF-03",
    "date": "2026-11-28",
    "place": "Guadalajara, Jalisco",
    "member": {"name": "Jesús Ángel Íñiguez Pérez", "seat": "Academia", "role": "Titular"},
    "period": {"from": "2021-12-01", "to": "2026-11-30"},
    "summary": "Durante los cinco años de mi encargo como titular del asiento de la academia participé en veinte sesiones ordinarias y cuatro extraordinarias, y coordiné la mesa de evaluación del Plan de Acción Local.\n\nEste informe resume las actividades realizadas, los resultados obtenidos y los asuntos que quedan pendientes para la persona que me sucede, a quien entrego la documentación generada conforme al acta de entrega-recepción.",
    "activities": [
        {"title": "Coordinación de la mesa de evaluación", "date": "2022-03-15", "description": "Diseño de la metodología de seguimiento con indicadores verificables y su aplicación trimestral a los compromisos."},
        {"title": "Acompañamiento del compromiso de contrataciones abiertas", "date": "2023-06-01", "description": "Revisión de los datos publicados en el estándar de contrataciones abiertas y formulación de recomendaciones."},
        {"title": "Talleres de datos abiertos para estudiantes", "date": "2024-09-20", "description": "Doce talleres en centros universitarios de la Zona Metropolitana de Guadalajara, con más de cuatrocientas personas participantes."},
        {"title": "Informe de evaluación del segundo plan", "date": "2025-11-10", "description": "Publicación del informe de evaluación, con su versión pública y sus datos en formato abierto."},
    ],
    "pending": [
        "Concluir la evaluación intermedia del Plan de Acción Local 2025–2027.",
        "Dar respuesta a las observaciones del buzón ciudadano sobre la metodología de indicadores.",
    ],
    "signers": [
        {"id": "m-academia-titular", "name": "Jesús Ángel Íñiguez Pérez", "rfc": "IIPJ690815KL6", "seat": "Academia", "role": "Titular saliente"},
    ],
})

items = []
for i, name in enumerate([
    "Acta de la primera sesión ordinaria 2026.pdf", "Acta de la segunda sesión ordinaria 2026.pdf",
    "Metodología de seguimiento de compromisos.pdf", "Informe de evaluación del segundo plan.pdf",
    "Base de datos de indicadores (datos abiertos).csv", "Presentación de talleres de datos abiertos.pdf",
    "Minutas de la mesa de evaluación 2022–2026.zip", "Correspondencia con el Secretariado.zip",
]):
    digest = "".join(rng.choice("0123456789abcdef") for _ in range(64))
    items.append({"name": name, "size": rng.randint(20_000, 9_000_000), "sha256": digest,
                  "description": "original firmado" if name.endswith(".pdf") else None})
write("entrega-recepcion.json", {
    "secretariat": SECRETARIAT,
    "folio": "2026-ER-03",
    "date": "2026-11-30",
    "time": "12:00",
    "place": "Guadalajara, Jalisco",
    "outgoing": {"name": "Jesús Ángel Íñiguez Pérez", "seat": "Academia", "role": "Titular saliente"},
    "incoming": {"name": "Begoña Ruiz Castañeda", "seat": "Academia", "role": "Titular entrante"},
    "receiver_president": {"name": "María Guadalupe Peña Ibáñez"},
    "items": items,
    "observations": "La persona que recibe revisó las huellas SHA-256 de los archivos y coinciden con las del inventario.",
    "signers": [
        {"id": "m-academia-titular", "name": "Jesús Ángel Íñiguez Pérez", "rfc": "IIPJ690815KL6", "seat": "Academia", "role": "Entrega"},
        {"id": "m-academia-entrante", "name": "Begoña Ruiz Castañeda", "rfc": "RUCB900101ST1", "seat": "Academia", "role": "Recibe"},
        {"id": "m-itei-titular", "name": "María Guadalupe Peña Ibáñez", "rfc": "PEIM800101AB1", "seat": "Órgano garante (ITEI)", "role": "Presidenta"},
    ],
})

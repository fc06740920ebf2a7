//! Section d's own tables (issue 18; 000 V.10 d): besides the archive's
//! Data Package (sessions, attendance, votes, agreements, records,
//! handovers — of every secretariat of the installation), each site
//! publishes its secretariat's Local Action Plan, its invited members'
//! projects and the aggregate figures of its public forms, described by a
//! Frictionless Data Package of their own (`/stl/{slug}/datos/datapackage.json`,
//! Table Schema). One table, [`SITE_RESOURCES`], drives the descriptor, the
//! CSV headers and what the page says of each file, so they cannot disagree.
//!
//! No personal data: the forms' files are counts only; the projects name
//! the invited member (a member acting publicly), never their RFC or email.

use serde_json::{Value, json};

/// One column of a site file.
pub(crate) struct SiteField {
    pub name: &'static str,
    /// Table Schema type: `string`, `integer` or `date`.
    pub kind: &'static str,
    pub description: &'static str,
}

/// One file of the site's own open data.
pub(crate) struct SiteResource {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub fields: &'static [SiteField],
    pub primary_key: &'static [&'static str],
}

const fn f(name: &'static str, kind: &'static str, description: &'static str) -> SiteField {
    SiteField {
        name,
        kind,
        description,
    }
}

/// The site's own files, in the order the page and the descriptor list them.
pub(crate) const SITE_RESOURCES: &[SiteResource] = &[
    SiteResource {
        name: "compromisos",
        title: "Compromisos del Plan de Acción Local y sus hitos",
        description: "Cada compromiso del Plan de Acción Local con su avance y su semáforo (000 IV.1–3), una fila por hito: las columnas del compromiso se repiten en cada uno de sus hitos.",
        fields: &[
            f(
                "numero",
                "integer",
                "Número del compromiso en el Plan de Acción Local.",
            ),
            f("compromiso", "string", "Título del compromiso."),
            f(
                "asiento_responsable",
                "string",
                "Clave del asiento responsable (vacío si no se asignó).",
            ),
            f("inicio", "date", "Inicio del compromiso (AAAA-MM-DD)."),
            f(
                "vencimiento",
                "date",
                "Fecha de vencimiento del compromiso (AAAA-MM-DD).",
            ),
            f(
                "avance",
                "integer",
                "Avance del compromiso, de 0 a 100: el de sus hitos según su peso.",
            ),
            f(
                "semaforo",
                "string",
                "verde, amarillo, rojo o cumplido: el avance comparado con el tiempo transcurrido.",
            ),
            f("hito", "string", "Título del hito."),
            f(
                "peso",
                "integer",
                "Peso del hito en el avance del compromiso (1 a 100).",
            ),
            f("avance_del_hito", "integer", "Avance del hito, de 0 a 100."),
        ],
        primary_key: &[],
    },
    SiteResource {
        name: "proyectos",
        title: "Proyectos de los miembros invitados y sus informes de avance",
        description: "Cada proyecto de un miembro invitado con su fecha de término y sus informes periódicos de avance (000 VIII.2–4), una fila por informe (un proyecto sin informes tiene una fila con las columnas del informe vacías).",
        fields: &[
            f(
                "proyecto_id",
                "string",
                "Identificador del proyecto (la designación del miembro invitado).",
            ),
            f("proyecto", "string", "El proyecto."),
            f(
                "miembro_invitado",
                "string",
                "Nombre del miembro invitado a cargo.",
            ),
            f("inicio", "date", "Inicio del proyecto (AAAA-MM-DD)."),
            f(
                "termino",
                "date",
                "Fecha de término del proyecto (AAAA-MM-DD).",
            ),
            f("estado", "string", "por_iniciar, en_curso o concluido."),
            f(
                "periodo_al",
                "date",
                "Último día del periodo que informa el informe (AAAA-MM-DD).",
            ),
            f(
                "avance",
                "integer",
                "Avance del proyecto informado, de 0 a 100 (vacío si solo informó un hito).",
            ),
            f(
                "hito",
                "string",
                "Hito alcanzado en el periodo, si se informó.",
            ),
            f(
                "liga",
                "string",
                "Liga al trabajo o su evidencia, si se dio.",
            ),
            f(
                "presentado",
                "date",
                "Día en que se presentó el informe (AAAA-MM-DD).",
            ),
            f("resumen", "string", "Qué se hizo en el periodo."),
        ],
        primary_key: &[],
    },
    SiteResource {
        name: "dudas",
        title: "Dudas, quejas y sugerencias: cifras",
        description: "Cuántas dudas, quejas y sugerencias recibió el secretariado y cuántas respondió a tiempo, por tipo, a la fecha de corte. Solo cifras: nunca quién escribió ni qué, ni sus archivos adjuntos.",
        fields: &[
            f(
                "fecha_de_corte",
                "date",
                "Día al que corresponden las cifras (AAAA-MM-DD).",
            ),
            f("categoria", "string", "duda, queja o sugerencia."),
            f("recibidas", "integer", "Recibidas desde el inicio."),
            f("respondidas", "integer", "Respondidas."),
            f(
                "respondidas_a_tiempo",
                "integer",
                "Respondidas dentro del plazo de días hábiles del secretariado.",
            ),
            f(
                "vencidas",
                "integer",
                "Sin respuesta con el plazo ya vencido.",
            ),
        ],
        primary_key: &["categoria"],
    },
    SiteResource {
        name: "sumate",
        title: "Solicitudes para sumarse: cifras por sector",
        description: "Cuántas personas pidieron sumarse a los ejercicios de gobierno abierto, por sector, a la fecha de corte. Solo cifras: nunca quién.",
        fields: &[
            f(
                "fecha_de_corte",
                "date",
                "Día al que corresponden las cifras (AAAA-MM-DD).",
            ),
            f(
                "sector",
                "string",
                "ciudadania, sociedad_civil, academia, empresarial, comunidad_tecnologica, gobierno u otro.",
            ),
            f("solicitudes", "integer", "Solicitudes recibidas."),
        ],
        primary_key: &["sector"],
    },
];

/// The CSV header of a site file.
pub(crate) fn header(name: &str) -> Vec<&'static str> {
    SITE_RESOURCES
        .iter()
        .find(|r| r.name == name)
        .map(|r| r.fields.iter().map(|f| f.name).collect())
        .unwrap_or_default()
}

fn schema(r: &SiteResource) -> Value {
    let mut schema = json!({
        "fields": r.fields.iter().map(|f| json!({
            "name": f.name,
            "type": f.kind,
            "description": f.description,
        })).collect::<Vec<_>>(),
        "missingValues": [""],
    });
    if !r.primary_key.is_empty() {
        schema["primaryKey"] = json!(r.primary_key);
    }
    schema
}

/// The Frictionless Data Package descriptor of a secretariat's own files
/// (paths relative to the descriptor: `/stl/{slug}/datos/<name>.csv`).
pub(crate) fn descriptor(origin: &str, slug: &str, name: &str) -> Value {
    json!({
        "profile": "tabular-data-package",
        "name": format!("stl-{slug}"),
        "title": format!("Datos abiertos propios de {name}"),
        "description": "El Plan de Acción Local con sus hitos, los proyectos de los miembros invitados con sus informes de avance, y las cifras de las dudas, quejas y sugerencias y de las solicitudes para sumarse (000 V.10 d), sin datos personales. Las sesiones, la asistencia, los votos, los acuerdos, los registros firmados y las entregas-recepción están en el paquete del archivo público.",
        "homepage": format!("{origin}/stl/{slug}/datos"),
        "licenses": [{ "name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0", "path": "https://creativecommons.org/licenses/by/4.0/" }],
        "resources": SITE_RESOURCES.iter().map(|r| json!({
            "name": r.name,
            "title": r.title,
            "description": r.description,
            "path": format!("{}.csv", r.name),
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "dialect": { "delimiter": ",", "quoteChar": "\"", "header": true },
            "schema": schema(r),
        })).collect::<Vec<_>>(),
    })
}

/// What the page shows of each site file: its schema, its rows now and
/// when its data last changed (as far as the data says).
pub(crate) fn presented(
    slug: &str,
    commitments: &Value,
    projects: &Value,
    figures: &Value,
) -> Vec<Value> {
    let milestones: usize = commitments
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["milestones"].as_array().map_or(0, Vec::len))
        .sum();
    let project_rows: usize = projects
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| p["reports"].as_array().map_or(0, Vec::len).max(1))
        .sum();
    let last_report = projects
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["reports"].as_array().into_iter().flatten())
        .filter_map(|r| r["filed_on"].as_str())
        .max()
        .map(super::long_date);
    let as_of = figures["as_of"].as_str().map(super::long_date);
    SITE_RESOURCES
        .iter()
        .map(|r| {
            let (rows, updated) = match r.name {
                "compromisos" => (milestones, None),
                "proyectos" => (project_rows, last_report.clone()),
                "dudas" => (
                    figures["inquiries"].as_array().map_or(0, Vec::len),
                    as_of.clone(),
                ),
                _ => (
                    figures["join_requests"].as_array().map_or(0, Vec::len),
                    as_of.clone(),
                ),
            };
            json!({
                "name": r.name,
                "title": r.title,
                "description": r.description,
                "csv_url": format!("/stl/{slug}/datos/{}.csv", r.name),
                "fields": r.fields.iter().map(|f| json!({
                    "name": f.name, "type": f.kind, "description": f.description,
                })).collect::<Vec<_>>(),
                "rows": rows,
                "updated": updated,
            })
        })
        .collect()
}

/// `proyectos.csv`: one row per report (a project without reports, one row).
pub(crate) fn projects_csv(projects: &Value) -> String {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let mut csv = rubrica_platform::csv::csv_row(&header("proyectos"));
    for p in projects.as_array().into_iter().flatten() {
        let head = [
            text(&p["id"]),
            text(&p["project"]),
            text(&p["member_name"]),
            text(&p["starts_on"]),
            text(&p["ends_on"]),
            text(&p["status"]),
        ];
        let reports: Vec<&Value> = p["reports"].as_array().into_iter().flatten().collect();
        if reports.is_empty() {
            let mut row = head.to_vec();
            row.extend(std::iter::repeat_n(String::new(), 6));
            csv.push_str(&rubrica_platform::csv::csv_row(&row));
        }
        for r in reports {
            let mut row = head.to_vec();
            row.extend([
                text(&r["period_ending"]),
                text(&r["progress"]),
                text(&r["milestone"]),
                text(&r["link"]),
                text(&r["filed_on"]),
                text(&r["summary"]),
            ]);
            csv.push_str(&rubrica_platform::csv::csv_row(&row));
        }
    }
    csv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_descriptor_lists_every_site_file_with_its_schema() {
        let d = descriptor("https://stl.example.mx", "stl-de-jalisco", "STL de Jalisco");
        let names: Vec<&str> = d["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["compromisos", "proyectos", "dudas", "sumate"]);
        assert_eq!(d["resources"][2]["path"], "dudas.csv");
        assert_eq!(d["resources"][2]["schema"]["primaryKey"][0], "categoria");
        assert!(d["resources"][0]["schema"].get("primaryKey").is_none());
        assert_eq!(
            d["homepage"],
            "https://stl.example.mx/stl/stl-de-jalisco/datos"
        );
    }

    #[test]
    fn a_project_without_reports_is_one_row_and_each_report_another() {
        let projects = json!([
            { "id": "p1", "project": "Obra pública", "member_name": "Colectivo", "starts_on": "2026-01-01",
              "ends_on": "2027-06-30", "status": "en_curso", "reports": [
                { "period_ending": "2026-11-30", "progress": 40, "milestone": null, "link": "https://x.mx",
                  "filed_on": "2026-12-01", "summary": "Se publicó, el tablero" },
                { "period_ending": "2026-10-31", "progress": null, "milestone": "Diagnóstico",
                  "link": null, "filed_on": "2026-11-01", "summary": "Diagnóstico" } ] },
            { "id": "p2", "project": "Otro", "member_name": "Otra", "starts_on": "2026-01-01",
              "ends_on": null, "status": "en_curso", "reports": [] }
        ]);
        let csv = projects_csv(&projects);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("proyecto_id,proyecto,miembro_invitado"));
        assert!(
            lines[1].ends_with("2026-12-01,\"Se publicó, el tablero\""),
            "{}",
            lines[1]
        );
        assert!(lines[2].contains(",Diagnóstico,"), "{}", lines[2]);
        assert_eq!(lines[3], "p2,Otro,Otra,2026-01-01,,en_curso,,,,,,");
    }
}

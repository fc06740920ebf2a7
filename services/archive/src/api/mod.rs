//! The archive's HTTP API: the public log (head, entries, proofs, key),
//! downloads, public verification of a SHA-256, and the internal entry point
//! other services archive through.
//!
//! Access: everything here is public except what the handlers restrict by
//! the data (an object that is not a public record is downloaded only by its
//! secretariat's President or facilitator, or the operator). The log is
//! public as a whole, including entries of unpublished objects: a SHA-256
//! and a kind reveal nothing of the content, and a log that hid entries
//! could not be audited. Archiving is internal (`/internal/objects`, behind
//! the internal token).

use rubrica_platform::{Access, Allowed, ApiRouter, Role, routes};

use self::handovers::RECEIVERS;
use self::records::{REFUSAL_READERS, Records};
use crate::handovers::{HANDERS, Handovers};

use crate::archive::Archive;

pub mod evidence;
pub mod handovers;
pub mod log;
pub mod objects;
pub mod records;

/// Who may call each operation of [`router`].
pub const ACCESS: &[Access] = &[
    Access::public(
        "GET",
        "/log/head",
        "consultar la cabeza firmada del registro",
    ),
    Access::public("GET", "/log/entries", "consultar las entradas del registro"),
    Access::public(
        "GET",
        "/log/inclusion",
        "obtener una prueba de inclusión del registro",
    ),
    Access::public(
        "GET",
        "/log/consistency",
        "obtener una prueba de consistencia del registro",
    ),
    Access::public(
        "GET",
        "/log/public-key",
        "consultar la llave pública del registro",
    ),
    Access::public(
        "GET",
        "/objects/{sha256}",
        "descargar un objeto archivado (los que no son públicos: Presidencia, facilitador u operador)",
    ),
    Access::public(
        "POST",
        "/verify/hash",
        "verificar si una huella SHA-256 está archivada",
    ),
    Access::public("GET", "/records", "buscar registros firmados archivados"),
    Access::public(
        "GET",
        "/records/{sha256}",
        "consultar un registro firmado archivado",
    ),
    Access::public(
        "POST",
        "/verify/pdf",
        "verificar las firmas de un PDF y si es un registro archivado",
    ),
    Access::public(
        "GET",
        "/open-data/datapackage.json",
        "consultar el descriptor de datos abiertos",
    ),
    Access::public(
        "GET",
        "/open-data/stats.json",
        "consultar cuántas filas tiene cada archivo de datos abiertos y cuándo cambió",
    ),
    Access::public(
        "GET",
        "/open-data/{file}",
        "descargar datos abiertos en CSV o JSON",
    ),
    Access {
        method: "GET",
        path: "/refusals",
        allowed: Allowed::Roles(REFUSAL_READERS),
        action: "consultar los registros rechazados por el archivo",
    },
    Access::roles(
        "POST",
        "/sessions/{id}/evidence",
        Role::MANAGERS,
        "agregar evidencia de una sesión celebrada",
    ),
    Access::public(
        "GET",
        "/secretariats/{id}/sessions/{folio}/evidence",
        "consultar la evidencia de una sesión",
    ),
    Access::roles("POST", "/handovers", HANDERS, "abrir su entrega-recepción"),
    Access::roles(
        "GET",
        "/handovers",
        HANDERS,
        "consultar las entregas-recepción",
    ),
    Access::roles(
        "GET",
        "/handovers/{id}",
        HANDERS,
        "consultar una entrega-recepción",
    ),
    Access::roles(
        "POST",
        "/handovers/{id}/files",
        HANDERS,
        "agregar documentos a su entrega-recepción",
    ),
    Access::roles(
        "POST",
        "/handovers/{id}/records",
        HANDERS,
        "agregar registros archivados a su entrega-recepción",
    ),
    Access::roles(
        "POST",
        "/handovers/{id}/report",
        HANDERS,
        "generar su informe de actividades",
    ),
    Access::roles(
        "POST",
        "/handovers/{id}/report.pdf",
        HANDERS,
        "agregar su informe de actividades",
    ),
    Access::roles(
        "POST",
        "/handovers/{id}/submit",
        HANDERS,
        "entregar su entrega-recepción",
    ),
    Access::roles(
        "POST",
        "/handovers/{id}/inventory",
        &[Role::President, Role::Facilitator],
        "enviar a firma el acta de entrega-recepción",
    ),
    Access::roles(
        "GET",
        "/handovers/{id}/package.zip",
        HANDERS,
        "descargar un paquete de entrega-recepción",
    ),
    Access::roles(
        "GET",
        "/secretariats/{id}/handovers/pending",
        RECEIVERS,
        "consultar las entregas-recepción pendientes",
    ),
];

/// The public routes (and the refusals, for the President and facilitator).
pub fn router(archive: Archive, records: Records) -> ApiRouter {
    let uploads = records.archive.settings().max_object_bytes;
    let handover_routes = ApiRouter::new()
        .routes(routes!(handovers::open, handovers::list))
        .routes(routes!(handovers::get))
        .routes(routes!(handovers::add_record))
        .routes(routes!(handovers::report))
        .routes(routes!(handovers::submit))
        .routes(routes!(handovers::inventory))
        .routes(routes!(handovers::package))
        .routes(routes!(handovers::pending))
        .merge(
            ApiRouter::new()
                .routes(routes!(handovers::upload))
                .routes(routes!(handovers::report_pdf))
                .body_limit(uploads),
        )
        .with_state(Handovers {
            archive: archive.clone(),
        });
    let evidence_routes = ApiRouter::new()
        .routes(routes!(evidence::list))
        .merge(
            ApiRouter::new()
                .routes(routes!(evidence::upload))
                .body_limit(uploads),
        )
        .with_state(crate::evidence::SessionEvidence {
            archive: archive.clone(),
        });
    let record_routes = ApiRouter::new()
        .routes(routes!(records::list))
        .routes(routes!(records::get))
        .routes(routes!(records::refusals))
        .routes(routes!(records::datapackage))
        .routes(routes!(records::open_data_stats))
        .routes(routes!(records::open_data))
        .merge(
            ApiRouter::new()
                .routes(routes!(records::verify_pdf))
                .body_limit(uploads),
        )
        .with_state(records);
    ApiRouter::new()
        .routes(routes!(log::head))
        .routes(routes!(log::entries))
        .routes(routes!(log::inclusion))
        .routes(routes!(log::consistency))
        .routes(routes!(log::public_key))
        .routes(routes!(objects::download))
        .routes(routes!(objects::verify_hash))
        .with_state(archive)
        .merge(record_routes)
        .merge(handover_routes)
        .merge(evidence_routes)
}

/// The service-to-service routes, behind the internal token. Archiving
/// takes the object in base64 inside JSON, so its body limit is the
/// configured object limit plus the encoding's third and room for metadata.
pub fn internal_router(archive: Archive) -> ApiRouter {
    let limit = archive.settings().max_object_bytes.saturating_mul(4) / 3 + 1024 * 1024;
    ApiRouter::new()
        .routes(routes!(objects::ingest))
        .body_limit(limit)
        .with_state(archive)
}

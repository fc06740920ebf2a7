//! The public log: its signed head, its entries, inclusion and consistency
//! proofs, and its public key.

use base64::Engine;
use rubrica_platform::http::{Query, State};
use rubrica_platform::{ApiError, ApiResult, Json, Problem};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::archive::{Archive, EntryRef};
use crate::digest::Digest32;
use crate::model::{ConsistencyProof, EntriesPage, InclusionProof, PublicKey, SignedTreeHead};

/// The newest signed tree head.
#[utoipa::path(
    get,
    path = "/log/head",
    tag = "registro",
    summary = "Consulta la cabeza firmada más reciente del registro y la llave que la firmó",
    responses(
        (status = 200, description = "Cabeza firmada (Ed25519) con su tamaño, raíz y llave pública", body = SignedTreeHead),
        (status = 503, description = "El archivo no está disponible", body = Problem),
    )
)]
pub async fn head(State(archive): State<Archive>) -> ApiResult<Json<SignedTreeHead>> {
    let head = archive.current_head().await?;
    Ok(Json(SignedTreeHead::from(&head)))
}

/// Range of entries.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EntriesQuery {
    /// First entry (default 0).
    pub start: Option<u64>,
    /// One past the last entry (default `start + 100`; at most 1000 per page).
    pub end: Option<u64>,
}

/// Entries of the log, in order.
#[utoipa::path(
    get,
    path = "/log/entries",
    tag = "registro",
    summary = "Lista las entradas del registro en orden (hasta 1000 por página)",
    params(EntriesQuery),
    responses(
        (status = 200, description = "Entradas y el tamaño del registro", body = EntriesPage),
        (status = 422, description = "Intervalo no válido", body = Problem),
    )
)]
pub async fn entries(
    State(archive): State<Archive>,
    Query(query): Query<EntriesQuery>,
) -> ApiResult<Json<EntriesPage>> {
    Ok(Json(
        archive.entries(query.start.unwrap_or(0), query.end).await?,
    ))
}

/// Which entry, and against which tree.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InclusionQuery {
    /// SHA-256 of the object, hex (or give `index`).
    pub sha256: Option<String>,
    /// Position of the entry in the log (or give `sha256`).
    pub index: Option<u64>,
    /// Size of the tree to prove against (default: the newest head).
    pub tree_size: Option<u64>,
}

/// An inclusion proof.
#[utoipa::path(
    get,
    path = "/log/inclusion",
    tag = "registro",
    summary = "Obtiene la prueba de inclusión de un objeto (por huella SHA-256 o por índice) contra una cabeza firmada",
    params(InclusionQuery),
    responses(
        (status = 200, description = "Entrada, ruta de auditoría y la cabeza firmada a la que conduce", body = InclusionProof),
        (status = 404, description = "Ningún objeto tiene esa huella o no existe esa entrada", body = Problem),
        (status = 422, description = "Falta la huella o el índice, o el tamaño no es válido", body = Problem),
    )
)]
pub async fn inclusion(
    State(archive): State<Archive>,
    Query(query): Query<InclusionQuery>,
) -> ApiResult<Json<InclusionProof>> {
    let entry = match (query.sha256.as_deref(), query.index) {
        (Some(sha256), None) => EntryRef::Sha256(
            Digest32::parse(sha256).map_err(|e| ApiError::Unprocessable(format!("{e}.")))?,
        ),
        (None, Some(index)) => EntryRef::Index(index),
        _ => {
            return Err(ApiError::Unprocessable(
                "Indique cuál entrada probar: la huella del objeto (?sha256=…) o su índice en el registro (?index=…), solo una de las dos.".into(),
            ));
        }
    };
    Ok(Json(archive.inclusion(entry, query.tree_size).await?))
}

/// Two sizes of the log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// The earlier size (at least 1).
    pub first: u64,
    /// The later size (default: the newest head).
    pub second: Option<u64>,
}

/// A consistency proof.
#[utoipa::path(
    get,
    path = "/log/consistency",
    tag = "registro",
    summary = "Obtiene la prueba de que el registro de un tamaño anterior es prefijo del actual (nada se alteró ni se borró)",
    params(ConsistencyQuery),
    responses(
        (status = 200, description = "Prueba de consistencia y las dos cabezas firmadas", body = ConsistencyProof),
        (status = 400, description = "Falta el tamaño anterior", body = Problem),
        (status = 422, description = "Tamaños no válidos", body = Problem),
    )
)]
pub async fn consistency(
    State(archive): State<Archive>,
    Query(query): Query<ConsistencyQuery>,
) -> ApiResult<Json<ConsistencyProof>> {
    Ok(Json(archive.consistency(query.first, query.second).await?))
}

/// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410).
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// The key as PEM, for standard tools.
pub fn public_key_pem(key: &[u8]) -> String {
    let mut der = ED25519_SPKI_PREFIX.to_vec();
    der.extend_from_slice(key);
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        base64::engine::general_purpose::STANDARD.encode(der)
    )
}

/// The log's public key.
#[utoipa::path(
    get,
    path = "/log/public-key",
    tag = "registro",
    summary = "Consulta la llave pública Ed25519 con la que el archivo firma las cabezas del registro",
    responses(
        (status = 200, description = "Llave pública (hex y PEM) e instrucciones para verificar", body = PublicKey),
        (status = 503, description = "El archivo no está disponible", body = Problem),
    )
)]
pub async fn public_key(State(archive): State<Archive>) -> ApiResult<Json<PublicKey>> {
    let key = archive.public_key().await?;
    Ok(Json(PublicKey {
        algorithm: "Ed25519".into(),
        public_key: hex::encode(&key),
        public_key_pem: public_key_pem(&key),
        instrucciones: "Cada cabeza del registro (GET /log/head) trae en signed_bytes (base64) los bytes exactos firmados: el texto «rubrica-registro-v1» y un salto de línea, el tamaño y la marca de tiempo como enteros de 8 bytes big-endian, y la raíz de 32 bytes. Para comprobar una firma con OpenSSL: guarde esta llave en llave.pem, decodifique signed_bytes en mensaje.bin y signature en firma.bin, y ejecute «openssl pkeyutl -verify -pubin -inkey llave.pem -rawin -in mensaje.bin -sigfile firma.bin». Las pruebas siguen RFC 6962; cada hoja es SHA-256(0x00 ‖ «rubrica-archivo-v1» y salto de línea ‖ SHA-256 del archivo (32 bytes) ‖ created_at (8 bytes big-endian) ‖ kind). Con la CLI: «rubrica verify ARCHIVO --log URL --log-key LLAVE».".into(),
    }))
}

//! Reading a `multipart/form-data` form (one file and text fields) with
//! actix-multipart, within limits, for the pages that take a file: the
//! handover upload, the public Verificar and the complaint form (section f).

use std::collections::HashMap;

use actix_multipart::Multipart;
use futures_util::TryStreamExt;

/// What a form sent: its text fields and, if given, its file.
#[derive(Debug, Default)]
pub(crate) struct Fields {
    pub texts: HashMap<String, String>,
    /// The file's name (without any folder) and its bytes.
    pub file: Option<(String, Vec<u8>)>,
}

/// Why a form could not be read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The file, or a text field, passed its limit.
    TooLarge { file: bool },
    /// Not multipart, cut short or malformed.
    Broken,
}

/// Reads `multipart`: the field `file_field` as the file (at most
/// `max_file` bytes), every other field as text (at most `max_text` bytes
/// each, at most 32 fields).
pub(crate) async fn read(
    mut multipart: Multipart,
    file_field: &str,
    max_file: usize,
    max_text: usize,
) -> Result<Fields, Refusal> {
    let mut fields = Fields::default();
    let mut count = 0;
    while let Some(mut field) = multipart.try_next().await.map_err(|_| Refusal::Broken)? {
        count += 1;
        if count > 32 {
            return Err(Refusal::Broken);
        }
        let name = field.name().unwrap_or_default().to_string();
        let is_file = name == file_field;
        let limit = if is_file { max_file } else { max_text };
        let filename = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_string());
        let mut bytes = Vec::new();
        while let Some(chunk) = field.try_next().await.map_err(|_| Refusal::Broken)? {
            if bytes.len() + chunk.len() > limit {
                return Err(Refusal::TooLarge { file: is_file });
            }
            bytes.extend_from_slice(&chunk);
        }
        if is_file {
            if let Some(filename) = filename.filter(|n| !n.is_empty()) {
                fields.file = Some((filename, bytes));
            }
        } else {
            fields
                .texts
                .insert(name, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    Ok(fields)
}

/// [`read`] for a public form that must come back as typed: a file over
/// `max_file` is skipped (read and dropped, up to `max_drain` bytes in all)
/// and reported in the second value, the text fields still read.
pub(crate) async fn read_keeping_texts(
    mut multipart: Multipart,
    file_field: &str,
    max_file: usize,
    max_text: usize,
    max_drain: usize,
) -> Result<(Fields, bool), Refusal> {
    let mut fields = Fields::default();
    let mut count = 0;
    let mut drained = 0usize;
    let mut file_too_large = false;
    while let Some(mut field) = multipart.try_next().await.map_err(|_| Refusal::Broken)? {
        count += 1;
        if count > 32 {
            return Err(Refusal::Broken);
        }
        let name = field.name().unwrap_or_default().to_string();
        let is_file = name == file_field;
        let limit = if is_file { max_file } else { max_text };
        let filename = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_string());
        let mut bytes = Vec::new();
        let mut over = false;
        while let Some(chunk) = field.try_next().await.map_err(|_| Refusal::Broken)? {
            if over || bytes.len() + chunk.len() > limit {
                if !is_file {
                    return Err(Refusal::TooLarge { file: false });
                }
                over = true;
                drained += chunk.len();
                if drained > max_drain {
                    return Err(Refusal::TooLarge { file: true });
                }
                bytes = Vec::new();
                continue;
            }
            bytes.extend_from_slice(&chunk);
        }
        if is_file {
            if over {
                file_too_large = true;
            } else if let Some(filename) = filename.filter(|n| !n.is_empty()) {
                fields.file = Some((filename, bytes));
            }
        } else {
            fields
                .texts
                .insert(name, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    Ok((fields, file_too_large))
}

#[cfg(test)]
mod tests {
    use actix_multipart::test::{TestFormField, create_form_data_payload_and_headers_from_fields};
    use actix_web::web::Bytes;

    use super::*;

    fn form(fields: Vec<TestFormField<'static>>) -> Multipart {
        let (body, headers) = create_form_data_payload_and_headers_from_fields(fields);
        let stream =
            futures_util::stream::once(
                async move { Ok::<Bytes, actix_web::error::PayloadError>(body) },
            );
        Multipart::new(&headers, stream)
    }

    #[actix_web::test]
    async fn a_form_gives_its_file_and_its_fields_within_the_limits() {
        let read_ok = read(
            form(vec![
                TestFormField::new("csrf", "abc"),
                TestFormField::new("pdf", &b"%PDF-1.7\r\nbytes"[..]).filename("../../acta.pdf"),
            ]),
            "pdf",
            1024,
            64,
        )
        .await
        .unwrap();
        assert_eq!(read_ok.texts["csrf"], "abc");
        let (name, bytes) = read_ok.file.unwrap();
        assert_eq!(name, "acta.pdf", "a path in the file name is dropped");
        assert_eq!(bytes, b"%PDF-1.7\r\nbytes");
        let too_big = read(
            form(vec![
                TestFormField::new("pdf", vec![0u8; 2048]).filename("a.pdf"),
            ]),
            "pdf",
            1024,
            64,
        )
        .await;
        assert_eq!(too_big.unwrap_err(), Refusal::TooLarge { file: true });
        let long_text = read(
            form(vec![TestFormField::new("sha256", "x".repeat(100))]),
            "pdf",
            1024,
            64,
        )
        .await;
        assert_eq!(long_text.unwrap_err(), Refusal::TooLarge { file: false });
        let stream = futures_util::stream::once(async {
            Ok::<Bytes, actix_web::error::PayloadError>(Bytes::from_static(b"basura"))
        });
        let broken = read(
            Multipart::new(&actix_web::http::header::HeaderMap::new(), stream),
            "pdf",
            1024,
            64,
        )
        .await;
        assert_eq!(broken.unwrap_err(), Refusal::Broken);
    }

    #[actix_web::test]
    async fn a_file_over_its_limit_is_dropped_and_the_texts_kept() {
        let (fields, too_large) = read_keeping_texts(
            form(vec![
                TestFormField::new("text", "Mi queja"),
                TestFormField::new("adjunto", vec![b'%'; 2048]).filename("grande.pdf"),
                TestFormField::new("name", "Ana"),
            ]),
            "adjunto",
            1024,
            64,
            1 << 20,
        )
        .await
        .unwrap();
        assert!(too_large);
        assert!(fields.file.is_none());
        assert_eq!(fields.texts["text"], "Mi queja");
        assert_eq!(fields.texts["name"], "Ana");
        let (fields, too_large) = read_keeping_texts(
            form(vec![
                TestFormField::new("adjunto", &b"%PDF-1.7"[..]).filename("a.pdf"),
            ]),
            "adjunto",
            1024,
            64,
            1 << 20,
        )
        .await
        .unwrap();
        assert!(!too_large);
        assert_eq!(fields.file.unwrap().1, b"%PDF-1.7");
        let endless = read_keeping_texts(
            form(vec![
                TestFormField::new("adjunto", vec![0u8; 4096]).filename("a.pdf"),
            ]),
            "adjunto",
            1024,
            64,
            2048,
        )
        .await;
        assert_eq!(endless.unwrap_err(), Refusal::TooLarge { file: true });
    }
}

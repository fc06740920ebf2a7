//! What a file is, from its bytes — never from its name or the client's
//! `Content-Type`. Handover uploads are accepted only as the document
//! formats a secretariat produces (PDF, images, office documents, plain
//! text and data, ZIP); programs are refused, and a name whose extension
//! says something else than the content is refused too (a `.pdf` that is a
//! program is the classic trap). Pure functions over bytes, shared by the
//! archive (handovers, session evidence) and the secretariat (complaint
//! attachments, which accept fewer formats).

/// A recognised format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format {
    pub media_type: &'static str,
    /// What a person calls it, in Spanish.
    pub label: &'static str,
    /// The extensions a file of this format may carry; the first is added
    /// to a name without extension.
    pub extensions: &'static [&'static str],
}

const PDF: Format = Format {
    media_type: "application/pdf",
    label: "un documento PDF",
    extensions: &["pdf"],
};
const PNG: Format = Format {
    media_type: "image/png",
    label: "una imagen PNG",
    extensions: &["png"],
};
const JPEG: Format = Format {
    media_type: "image/jpeg",
    label: "una imagen JPEG",
    extensions: &["jpg", "jpeg"],
};
const TIFF: Format = Format {
    media_type: "image/tiff",
    label: "una imagen TIFF",
    extensions: &["tif", "tiff"],
};
const DOCX: Format = Format {
    media_type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    label: "un documento de Word",
    extensions: &["docx"],
};
const XLSX: Format = Format {
    media_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    label: "una hoja de cálculo de Excel",
    extensions: &["xlsx"],
};
const PPTX: Format = Format {
    media_type: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    label: "una presentación de PowerPoint",
    extensions: &["pptx"],
};
const ODT: Format = Format {
    media_type: "application/vnd.oasis.opendocument.text",
    label: "un documento de OpenDocument",
    extensions: &["odt"],
};
const ODS: Format = Format {
    media_type: "application/vnd.oasis.opendocument.spreadsheet",
    label: "una hoja de cálculo de OpenDocument",
    extensions: &["ods"],
};
const ODP: Format = Format {
    media_type: "application/vnd.oasis.opendocument.presentation",
    label: "una presentación de OpenDocument",
    extensions: &["odp"],
};
const ZIP: Format = Format {
    media_type: "application/zip",
    label: "un archivo ZIP",
    extensions: &["zip"],
};
const OLE: Format = Format {
    media_type: "application/x-ole-storage",
    label: "un documento de Office 97–2003",
    extensions: &["doc", "xls", "ppt"],
};
const JSON: Format = Format {
    media_type: "application/json",
    label: "datos JSON",
    extensions: &["json"],
};
const TEXT: Format = Format {
    media_type: "text/plain; charset=utf-8",
    label: "un texto",
    extensions: &["txt", "csv", "tsv", "md", "xml", "json"],
};

const GIF: Format = Format {
    media_type: "image/gif",
    label: "una imagen GIF",
    extensions: &["gif"],
};
const WEBP: Format = Format {
    media_type: "image/webp",
    label: "una imagen WebP",
    extensions: &["webp"],
};
const MP4: Format = Format {
    media_type: "video/mp4",
    label: "un video MP4",
    extensions: &["mp4", "m4v", "mov"],
};
const M4A: Format = Format {
    media_type: "audio/mp4",
    label: "un audio M4A",
    extensions: &["m4a", "mp4"],
};
const WEBM: Format = Format {
    media_type: "video/webm",
    label: "un video WebM",
    extensions: &["webm"],
};
const OGG_VIDEO: Format = Format {
    media_type: "video/ogg",
    label: "un video Ogg",
    extensions: &["ogv", "ogg"],
};
const OGG_AUDIO: Format = Format {
    media_type: "audio/ogg",
    label: "un audio Ogg",
    extensions: &["ogg", "oga", "opus"],
};
const MP3: Format = Format {
    media_type: "audio/mpeg",
    label: "un audio MP3",
    extensions: &["mp3"],
};
const WAV: Format = Format {
    media_type: "audio/wav",
    label: "un audio WAV",
    extensions: &["wav"],
};

const ALL: &[Format] = &[
    PDF, PNG, JPEG, TIFF, GIF, WEBP, MP4, M4A, WEBM, OGG_VIDEO, OGG_AUDIO, MP3, WAV, DOCX, XLSX,
    PPTX, ODT, ODS, ODP, ZIP, OLE, JSON, TEXT,
];

/// What a person calls a format, from its media type.
pub fn label_of(media_type: &str) -> Option<&'static str> {
    ALL.iter()
        .find(|f| f.media_type == media_type)
        .map(|f| f.label)
}

/// Why a file is not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    Empty,
    Program(&'static str),
    Unknown,
}

impl Refused {
    /// The Spanish reason, for `name`.
    pub fn explain(&self, name: &str) -> String {
        match self {
            Refused::Empty => {
                format!("El archivo «{name}» está vacío. Envíe el archivo con su contenido.")
            }
            Refused::Program(what) => format!(
                "El archivo «{name}» es {what}: los programas no se aceptan en el archivo. Envíe documentos (PDF, imágenes, audio, video, documentos de oficina, textos o ZIP)."
            ),
            Refused::Unknown => format!(
                "No se reconoce el tipo del archivo «{name}» por su contenido. Se aceptan PDF, imágenes PNG, JPEG, GIF, WebP o TIFF, video MP4, WebM u Ogg, audio MP3, M4A, Ogg o WAV, documentos de Word, Excel, PowerPoint u OpenDocument, textos en UTF-8 (TXT, CSV, JSON, XML) y ZIP; conviértalo a uno de esos formatos."
            ),
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The format of `bytes`.
pub fn detect(bytes: &[u8]) -> Result<Format, Refused> {
    if bytes.is_empty() {
        return Err(Refused::Empty);
    }
    let head = &bytes[..bytes.len().min(64 * 1024)];
    if head.starts_with(b"MZ") {
        return Err(Refused::Program("un programa de Windows"));
    }
    if head.starts_with(b"\x7fELF") {
        return Err(Refused::Program("un programa de Linux"));
    }
    if [
        &b"\xfe\xed\xfa\xce"[..],
        b"\xfe\xed\xfa\xcf",
        b"\xcf\xfa\xed\xfe",
        b"\xca\xfe\xba\xbe",
    ]
    .iter()
    .any(|m| head.starts_with(m))
    {
        return Err(Refused::Program("un programa de macOS o Java"));
    }
    if head.starts_with(b"#!") {
        return Err(Refused::Program("un guion ejecutable"));
    }
    // A PDF may carry junk before its header (ISO 32000: within 1024 bytes).
    if contains(&head[..head.len().min(1024)], b"%PDF-") {
        return Ok(PDF);
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(PNG);
    }
    if head.starts_with(b"\xff\xd8\xff") {
        return Ok(JPEG);
    }
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return Ok(GIF);
    }
    if head.starts_with(b"RIFF") && head.len() >= 12 {
        match &head[8..12] {
            b"WEBP" => return Ok(WEBP),
            b"WAVE" => return Ok(WAV),
            _ => {}
        }
    }
    // ISO base media (MP4, M4A): a `ftyp` box first, its major brand after.
    if head.get(4..8) == Some(b"ftyp") {
        return match head.get(8..12) {
            Some(b"M4A " | b"M4B ") => Ok(M4A),
            Some(b"qt  ") => Err(Refused::Unknown),
            Some(_) => Ok(MP4),
            None => Err(Refused::Unknown),
        };
    }
    // Matroska's EBML header; only its WebM profile is accepted.
    if head.starts_with(b"\x1a\x45\xdf\xa3") {
        return if contains(&head[..head.len().min(64)], b"webm") {
            Ok(WEBM)
        } else {
            Err(Refused::Unknown)
        };
    }
    if head.starts_with(b"OggS") {
        return if contains(head, b"theora") {
            Ok(OGG_VIDEO)
        } else {
            Ok(OGG_AUDIO)
        };
    }
    // MP3: an ID3 tag, or an MPEG audio layer III frame header.
    if head.starts_with(b"ID3")
        || (head.len() >= 2 && head[0] == 0xff && head[1] & 0xe0 == 0xe0 && (head[1] >> 1) & 3 == 1)
    {
        return Ok(MP3);
    }
    if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        return Ok(TIFF);
    }
    if head.starts_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        return Ok(OLE);
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        // OpenDocument: the first entry is `mimetype`, stored, with the type.
        if head.get(30..38) == Some(b"mimetype") {
            for (marker, format) in [
                (&b"opendocument.text"[..], ODT),
                (b"opendocument.spreadsheet", ODS),
                (b"opendocument.presentation", ODP),
            ] {
                if contains(&head[..head.len().min(200)], marker) {
                    return Ok(format);
                }
            }
        }
        if contains(head, b"[Content_Types].xml") || contains(bytes, b"[Content_Types].xml") {
            if contains(bytes, b"word/") {
                return Ok(DOCX);
            }
            if contains(bytes, b"xl/") {
                return Ok(XLSX);
            }
            if contains(bytes, b"ppt/") {
                return Ok(PPTX);
            }
        }
        return Ok(ZIP);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| Refused::Unknown)?;
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{feff}'))
    {
        return Err(Refused::Unknown);
    }
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && serde_json::from_str::<serde_json::Value>(text).is_ok()
    {
        return Ok(JSON);
    }
    Ok(TEXT)
}

/// A file name safe to put in a bag: no folders, no control characters, at
/// most 150 characters; `None` when nothing is left.
pub fn clean_name(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| {
            if matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim().to_string();
    if cleaned.is_empty() {
        return None;
    }
    if cleaned.chars().count() <= 150 {
        return Some(cleaned);
    }
    // Keep the extension when shortening.
    let (stem, ext) = match cleaned.rsplit_once('.') {
        Some((s, e)) if e.chars().count() <= 8 => (s.to_string(), format!(".{e}")),
        _ => (cleaned.clone(), String::new()),
    };
    Some(
        stem.chars()
            .take(150 - ext.chars().count())
            .collect::<String>()
            + &ext,
    )
}

/// `name` checked against the format of its content: its extension must
/// be one of the format's (a name without one gets the format's first).
pub fn name_for(name: &str, format: Format) -> Result<String, String> {
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .filter(|e| !e.is_empty() && e.len() <= 8 && e.chars().all(|c| c.is_ascii_alphanumeric()));
    match extension {
        None => Ok(format!("{name}.{}", format.extensions[0])),
        Some(ext) if format.extensions.contains(&ext.as_str()) => Ok(name.to_string()),
        Some(ext) => Err(format!(
            "El archivo «{name}» dice ser .{ext} pero su contenido es {}. Revise que envió el archivo correcto o corrija su extensión (.{}).",
            format.label, format.extensions[0]
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_by_their_content() {
        assert_eq!(detect(b"%PDF-1.7\n...").unwrap(), PDF);
        assert_eq!(detect(b"\x89PNG\r\n\x1a\n....").unwrap(), PNG);
        assert_eq!(detect(b"\xff\xd8\xff\xe0JFIF").unwrap(), JPEG);
        assert_eq!(
            detect(b"PK\x03\x04....[Content_Types].xml....word/document.xml").unwrap(),
            DOCX
        );
        assert_eq!(detect(b"PK\x05\x06").unwrap(), ZIP);
        assert_eq!(detect(b"RIFF\x24\0\0\0WEBPVP8 ").unwrap(), WEBP);
        assert_eq!(detect(b"RIFF\x24\0\0\0WAVEfmt ").unwrap(), WAV);
        assert_eq!(detect(b"\0\0\0\x18ftypisom\0\0\x02\0").unwrap(), MP4);
        assert_eq!(detect(b"\0\0\0\x1cftypM4A \0\0\0\0").unwrap(), M4A);
        assert_eq!(
            detect(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm").unwrap(),
            WEBM
        );
        assert_eq!(detect(b"OggS\0\x02....\x01vorbis").unwrap(), OGG_AUDIO);
        assert_eq!(detect(b"OggS\0\x02....\x80theora").unwrap(), OGG_VIDEO);
        assert_eq!(detect(b"ID3\x04\0\0\0\0\0\0").unwrap(), MP3);
        assert_eq!(detect(b"\xff\xfb\x90\x64\0\0").unwrap(), MP3);
        assert_eq!(detect(b"GIF89a\x01\0\x01\0").unwrap(), GIF);
        // JPEG's marker is not an MPEG frame.
        assert_eq!(detect(b"\xff\xd8\xff\xdb").unwrap(), JPEG);
        assert_eq!(
            detect("asiento,asistió\nacademia,sí\n".as_bytes()).unwrap(),
            TEXT
        );
        assert_eq!(detect(br#"{"folio": "2026-ER-01"}"#).unwrap(), JSON);
    }

    #[test]
    fn programs_binaries_and_empty_files_are_refused() {
        assert_eq!(
            detect(b"MZ\x90\0"),
            Err(Refused::Program("un programa de Windows"))
        );
        assert!(matches!(detect(b"\x7fELF\x02"), Err(Refused::Program(_))));
        assert!(matches!(
            detect(b"#!/bin/sh\nrm -rf /"),
            Err(Refused::Program(_))
        ));
        assert_eq!(detect(b"\x00\x01\x02\x03"), Err(Refused::Unknown));
        assert_eq!(detect(b""), Err(Refused::Empty));
        let reason = Refused::Program("un programa de Windows").explain("acta.pdf");
        assert!(
            reason.contains("«acta.pdf» es un programa de Windows"),
            "{reason}"
        );
    }

    #[test]
    fn a_name_must_agree_with_the_content() {
        assert_eq!(name_for("Acta.PDF", PDF).unwrap(), "Acta.PDF");
        assert_eq!(name_for("acta", PDF).unwrap(), "acta.pdf");
        let error = name_for("foto.pdf", PNG).unwrap_err();
        assert!(
            error.contains("dice ser .pdf pero su contenido es una imagen PNG"),
            "{error}"
        );
        assert_eq!(name_for("datos.csv", TEXT).unwrap(), "datos.csv");
        assert_eq!(name_for("sesion.mp4", MP4).unwrap(), "sesion.mp4");
        assert!(name_for("audio.mp3", MP4).is_err());
    }

    #[test]
    fn names_lose_folders_and_control_characters() {
        assert_eq!(clean_name("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(
            clean_name("C:\\Users\\x\\minuta\n.pdf").as_deref(),
            Some("minuta.pdf")
        );
        assert_eq!(clean_name("..."), None);
        let long = format!("{}.pdf", "a".repeat(300));
        let short = clean_name(&long).unwrap();
        assert_eq!(short.chars().count(), 150);
        assert!(short.ends_with(".pdf"));
    }
}

//! What the boxes look like: appearance streams and the text inside them.
//!
//! Appearances use the standard Helvetica and Helvetica-Bold fonts with
//! WinAnsiEncoding, which every viewer has and which covers Spanish (á é í ó ú
//! ü ñ ¿ ¡): no font is embedded, so a signer's revision stays small. Text is
//! fitted into its box from the fonts' published widths.

use lopdf::{Dictionary, Object, Stream, StringFormat};

/// Resource name of Helvetica in `/DR` and in every appearance.
pub(crate) const FONT_REGULAR: &str = "Helv";
/// Resource name of Helvetica-Bold.
pub(crate) const FONT_BOLD: &str = "HeBo";

/// Dark blue ink for what a signer adds, so it stands out from the printed acta.
const INK: &str = "0.08 0.16 0.42 rg";
/// Light grey frame marking an empty slot.
const FRAME: &str = "0.6 G 0.5 w";

/// A text style: font and widths.
#[derive(Clone, Copy)]
pub(crate) enum Face {
    Regular,
    Bold,
}

impl Face {
    fn resource(self) -> &'static str {
        match self {
            Self::Regular => FONT_REGULAR,
            Self::Bold => FONT_BOLD,
        }
    }

    /// Advance width of a WinAnsi byte in thousandths of the font size, from
    /// Adobe's core font metrics; accented letters take their base letter's.
    fn width(self, byte: u8) -> u16 {
        let table = match self {
            Self::Regular => &HELVETICA,
            Self::Bold => &HELVETICA_BOLD,
        };
        match byte {
            32..=126 => table[usize::from(byte - 32)],
            _ => {
                let base = base_letter(byte);
                if base != byte {
                    table[usize::from(base - 32)]
                } else {
                    556
                }
            }
        }
    }

    /// Width of `text` at `size` points.
    pub(crate) fn text_width(self, text: &[u8], size: f32) -> f32 {
        text.iter().map(|&b| f32::from(self.width(b))).sum::<f32>() * size / 1000.0
    }
}

/// Helvetica widths for ASCII 32..=126.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278,
    278, // ' '..'/'
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584,
    556, // '0'..'?'
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722,
    778, // '@'..'O'
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469,
    556, // 'P'..'_'
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556,
    556, // '`'..'o'
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // 'p'..'~'
];

/// Helvetica-Bold widths for ASCII 32..=126.
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, //
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, //
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, //
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, //
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, //
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, //
];

/// The unaccented letter of a Latin-1 accented letter (same advance width).
fn base_letter(byte: u8) -> u8 {
    match byte {
        0xC0..=0xC5 => b'A',
        0xC7 => b'C',
        0xC8..=0xCB => b'E',
        0xCC..=0xCF => b'I',
        0xD1 => b'N',
        0xD2..=0xD6 | 0xD8 => b'O',
        0xD9..=0xDC => b'U',
        0xDD => b'Y',
        0xE0..=0xE5 => b'a',
        0xE7 => b'c',
        0xE8..=0xEB => b'e',
        0xEC..=0xEF => b'i',
        0xF1 => b'n',
        0xF2..=0xF6 | 0xF8 => b'o',
        0xF9..=0xFC => b'u',
        0xFD | 0xFF => b'y',
        0xB7 => b'.',
        0xA1 => b'!',
        0xBF => b'?',
        other => other,
    }
}

/// Text in WinAnsiEncoding (Windows-1252); characters it lacks become `?`.
pub(crate) fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '€' => 0x80,
            '‚' => 0x82,
            '„' => 0x84,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '\t' | '\n' | '\r' => b' ',
            _ => b'?',
        })
        .collect()
}

/// A PDF *text string* (ISO 32000-1 §7.9.2.2): plain ASCII as is, anything
/// else as UTF-16BE with a byte-order mark, which every reader decodes.
pub(crate) fn text_string(text: &str) -> Object {
    if text.bytes().all(|b| (32..127).contains(&b)) {
        Object::String(text.as_bytes().to_vec(), StringFormat::Literal)
    } else {
        let mut bytes = vec![0xFE, 0xFF];
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&unit.to_be_bytes());
        }
        Object::String(bytes, StringFormat::Hexadecimal)
    }
}

/// Decodes a PDF text string (UTF-16BE with BOM, UTF-8 with BOM, or
/// PDFDocEncoding read as Latin-1, which agrees on every Spanish letter).
pub(crate) fn decode_text_string(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        String::from_utf8_lossy(rest).into_owned()
    } else {
        bytes.iter().map(|&b| char::from(b)).collect()
    }
}

/// A string operand for a content stream: escaped, and 7-bit so the stream
/// stays readable in any editor.
fn content_string(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('(');
    for &b in bytes {
        match b {
            b'(' | b')' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            32..=126 => out.push(char::from(b)),
            _ => out.push_str(&format!("\\{b:03o}")),
        }
    }
    out.push(')');
    out
}

/// One line of text to place in a box.
pub(crate) struct Line {
    pub(crate) text: String,
    pub(crate) face: Face,
    /// Largest size wanted; smaller if the text does not fit the width.
    pub(crate) max_size: f32,
}

impl Line {
    pub(crate) fn new(text: impl Into<String>, face: Face, max_size: f32) -> Self {
        Self {
            text: text.into(),
            face,
            max_size,
        }
    }
}

/// The resources dictionary every appearance uses.
pub(crate) fn resources(regular: lopdf::ObjectId, bold: lopdf::ObjectId) -> Dictionary {
    let mut fonts = Dictionary::new();
    fonts.set(FONT_REGULAR, Object::Reference(regular));
    fonts.set(FONT_BOLD, Object::Reference(bold));
    let mut res = Dictionary::new();
    res.set("Font", Object::Dictionary(fonts));
    res
}

/// A Form XObject `width × height` with `content`.
pub(crate) fn form_xobject(
    width: f32,
    height: f32,
    resources: Dictionary,
    content: String,
) -> Stream {
    let mut dict = Dictionary::new();
    dict.set("Type", Object::Name(b"XObject".to_vec()));
    dict.set("Subtype", Object::Name(b"Form".to_vec()));
    dict.set(
        "BBox",
        Object::Array(vec![
            Object::Integer(0),
            Object::Integer(0),
            Object::Real(round2(width)),
            Object::Real(round2(height)),
        ]),
    );
    dict.set("Resources", Object::Dictionary(resources));
    Stream::new(dict, content.into_bytes())
}

fn round2(v: f32) -> f32 {
    (v * 100.0).round() / 100.0
}

fn num(v: f32) -> String {
    let r = round2(v);
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r}")
    }
}

/// A thin frame just inside the box: an empty slot still shows where the
/// initials or the signature go when printed.
fn frame(width: f32, height: f32) -> String {
    format!(
        "q {FRAME} 0.25 0.25 {} {} re S Q\n",
        num(width - 0.5),
        num(height - 0.5)
    )
}

/// An empty slot: the frame and, if given, a faint caption.
pub(crate) fn empty_slot(width: f32, height: f32, caption: &[Line]) -> String {
    let mut content = String::from("/Tx BMC\n");
    content.push_str(&frame(width, height));
    if !caption.is_empty() {
        content.push_str("q 0.55 g\n");
        content.push_str(&text_block(width, height, caption));
        content.push_str("Q\n");
    }
    content.push_str("EMC\n");
    content
}

/// A filled slot: the frame and the lines in ink.
pub(crate) fn filled_slot(width: f32, height: f32, lines: &[Line], marked_as_text: bool) -> String {
    let mut content = String::new();
    if marked_as_text {
        // Text-field appearances are marked content so viewers know which part
        // is the field's value (ISO 32000-1 §12.7.3.3).
        content.push_str("/Tx BMC\n");
    }
    content.push_str(&frame(width, height));
    content.push_str("q ");
    content.push_str(INK);
    content.push('\n');
    content.push_str(&text_block(width, height, lines));
    content.push_str("Q\n");
    if marked_as_text {
        content.push_str("EMC\n");
    }
    content
}

/// Lines centred horizontally and spread vertically in the box, each shrunk
/// to fit the width (and all shrunk together to fit the height).
fn text_block(width: f32, height: f32, lines: &[Line]) -> String {
    let pad = (width.min(height) * 0.06).clamp(1.0, 4.0);
    let usable_w = (width - 2.0 * pad).max(1.0);
    let usable_h = (height - 2.0 * pad).max(1.0);
    let mut sizes: Vec<f32> = lines
        .iter()
        .map(|l| {
            let bytes = win_ansi(&l.text);
            let w = l.face.text_width(&bytes, 1.0);
            if w > 0.0 {
                l.max_size.min(usable_w / w)
            } else {
                l.max_size
            }
        })
        .collect();
    // Line height 1.2 × size; shrink everything if the lines are too tall.
    let total: f32 = sizes.iter().map(|s| s * 1.2).sum();
    if total > usable_h && total > 0.0 {
        let k = usable_h / total;
        sizes.iter_mut().for_each(|s| *s *= k);
    }
    let total: f32 = sizes.iter().map(|s| s * 1.2).sum();
    let mut y = pad + (usable_h + total) / 2.0;
    let mut out = String::from("BT\n");
    for (line, size) in lines.iter().zip(sizes) {
        let bytes = win_ansi(&line.text);
        y -= size * 1.2;
        let baseline = y + size * 0.25;
        let x = pad + (usable_w - line.face.text_width(&bytes, size)) / 2.0;
        out.push_str(&format!(
            "/{} {} Tf 1 0 0 1 {} {} Tm {} Tj\n",
            line.face.resource(),
            num(size),
            num(x),
            num(baseline),
            content_string(&bytes)
        ));
    }
    out.push_str("ET\n");
    out
}

/// The initials a person writes: the first letter of each word of their name,
/// skipping Spanish particles ("de", "la", "del", "y"…).
pub(crate) fn initials_of(name: &str) -> String {
    const PARTICLES: [&str; 8] = ["DE", "DEL", "LA", "LAS", "LOS", "Y", "E", "VON"];
    let letters: String = name
        .split_whitespace()
        .filter(|w| !PARTICLES.contains(&w.to_uppercase().as_str()))
        .filter_map(|w| w.chars().find(|c| c.is_alphabetic()))
        .flat_map(char::to_uppercase)
        .collect();
    if letters.is_empty() {
        "?".to_owned()
    } else {
        letters
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spanish_text_survives_win_ansi() {
        assert_eq!(
            win_ansi("Página ñ É ¿"),
            b"P\xe1gina \xf1 \xc9 \xbf".to_vec()
        );
        assert_eq!(win_ansi("漢"), b"?".to_vec());
        assert_eq!(decode_text_string(&[0xFE, 0xFF, 0, 0xF1]), "ñ");
        let Object::String(s, _) = text_string("Ñandú") else {
            panic!()
        };
        assert_eq!(decode_text_string(&s), "Ñandú");
    }

    #[test]
    fn initials_skip_particles() {
        assert_eq!(initials_of("MARÍA DE LOS ÁNGELES GONZÁLEZ RUIZ"), "MÁGR");
        assert_eq!(initials_of("juan pérez"), "JP");
        assert_eq!(initials_of(""), "?");
    }

    #[test]
    fn content_strings_are_escaped() {
        assert_eq!(content_string(b"a(b)\\\xe1"), "(a\\(b\\)\\\\\\341)");
    }
}

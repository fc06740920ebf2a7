//! What each revision changed, judged against the permitted pattern.
//!
//! After a signature, the only changes Rúbrica's model allows are those of
//! later signers' revisions: filling pre-created fields once (each signer's
//! initials and signature field, exactly the fields their own FieldMDP
//! transform locks) and adding their signature. Document security store
//! (`/DSS`) additions and `/Info` updates are tolerated because they change
//! nothing a reader sees. Everything else — an object of a page rewritten, an
//! annotation added, a filled field changed, an object deleted, a new object
//! slipped under a reference an older object already made — is reported, in
//! Spanish, for every signature it comes after.

use std::collections::{HashMap, HashSet};

use lopdf::{Dictionary, Object, ObjectId};

use crate::error::Result;
use crate::fields::{self, FieldKind, Form};
use crate::reader::{Entry, PdfFile};

/// Keys a field may change when it is filled.
const FILL_KEYS: [&[u8]; 2] = [b"V", b"AP"];
/// Keys the catalog may change after a signature (validation data, extensions).
const CATALOG_KEYS: [&[u8]; 2] = [b"DSS", b"Extensions"];
/// Keys the AcroForm may change (fonts for new appearances, signature flags).
const ACROFORM_KEYS: [&[u8]; 2] = [b"DR", b"SigFlags"];

/// Which fields a FieldMDP transform (or a `/Lock`) covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LockSpec {
    /// Nothing (no transform).
    None,
    /// Every field.
    All,
    Include(Vec<String>),
    Exclude(Vec<String>),
}

impl LockSpec {
    pub(crate) fn locks(&self, name: &str) -> bool {
        match self {
            Self::None => false,
            Self::All => true,
            Self::Include(names) => names.iter().any(|n| n == name || is_descendant(name, n)),
            Self::Exclude(names) => !names.iter().any(|n| n == name || is_descendant(name, n)),
        }
    }

    /// The explicitly listed names (for reports).
    pub(crate) fn names(&self) -> &[String] {
        match self {
            Self::Include(n) | Self::Exclude(n) => n,
            _ => &[],
        }
    }

    /// Reads `/Action` and `/Fields` of a TransformParams or SigFieldLock.
    pub(crate) fn from_dict(file: &PdfFile<'_>, rev: usize, dict: &Dictionary) -> Result<Self> {
        let names = fields::names_in(file, rev, dict)?;
        Ok(match dict.get(b"Action") {
            Ok(Object::Name(a)) if a == b"All" => Self::All,
            Ok(Object::Name(a)) if a == b"Exclude" => Self::Exclude(names),
            Ok(Object::Name(a)) if a == b"Include" => Self::Include(names),
            _ => Self::None,
        })
    }
}

fn is_descendant(name: &str, ancestor: &str) -> bool {
    name.strip_prefix(ancestor)
        .is_some_and(|r| r.starts_with('.'))
}

/// What one revision did.
#[derive(Debug, Default, Clone)]
pub(crate) struct RevisionChanges {
    /// Changes outside the permitted pattern, in Spanish.
    pub(crate) forbidden: Vec<String>,
    /// Fields whose value or appearance this revision set or changed.
    pub(crate) touched_fields: Vec<String>,
}

/// References (object numbers) made by each object version, cached by where
/// the version lives.
type RefCache = HashMap<Entry, Vec<u32>>;

/// Analyses revisions `from + 1 ..= last`; index `j` of the result is revision
/// `j` (earlier ones are left empty).
pub(crate) fn analyse(file: &PdfFile<'_>, from: usize) -> Result<Vec<RevisionChanges>> {
    let mut out = vec![RevisionChanges::default(); file.revisions.len()];
    let mut refs: RefCache = HashMap::new();
    for (j, changes) in out.iter_mut().enumerate().skip(from + 1) {
        *changes = analyse_revision(file, j, &mut refs)?;
    }
    Ok(out)
}

fn analyse_revision(file: &PdfFile<'_>, j: usize, refs: &mut RefCache) -> Result<RevisionChanges> {
    let prev = j - 1;
    let mut changes = RevisionChanges::default();
    let forbid = |changes: &mut RevisionChanges, what: String| {
        if !changes.forbidden.contains(&what) {
            changes.forbidden.push(what);
        }
    };
    let (root_prev, _) = file.catalog(prev)?;
    let root_now = file.revisions[j].trailer.get(b"Root").ok().cloned();
    if root_now != Some(Object::Reference(root_prev)) {
        forbid(
            &mut changes,
            "se reemplazó el catálogo del documento".to_owned(),
        );
    }
    let info_prev = match file.revisions[prev].trailer.get(b"Info") {
        Ok(Object::Reference(r)) => Some(r.0),
        _ => None,
    };
    let form_prev = fields::read_form(file, prev)?;
    let form_now = fields::read_form(file, j)?;
    let acroform_prev = form_prev.as_ref().and_then(|f| f.acroform_id).map(|r| r.0);
    let field_names = names_by_id(form_prev.as_ref(), form_now.as_ref());
    let page_numbers: HashMap<u32, usize> = file
        .pages(prev)
        .map(|p| p.iter().enumerate().map(|(i, p)| (p.id.0, i + 1)).collect())
        .unwrap_or_default();

    let mut new_ids: HashSet<u32> = HashSet::new();
    let mut signed_here: Vec<(String, ObjectId)> = Vec::new();
    let mut filled_text: Vec<String> = Vec::new();
    let own_ids = file.revisions[j].own_ids.clone();
    for id in own_ids {
        let new = file.get(j, id)?;
        let old = file.get(prev, id)?;
        let Some(new) = new else { continue };
        let Some(old) = old else {
            // Cross-reference streams and object-stream containers are
            // plumbing, not content.
            if !is_plumbing(&new) {
                new_ids.insert(id);
            }
            continue;
        };
        if same(&old, &new) {
            continue;
        }
        if id == root_prev.0 {
            if let Some(keys) = changed_keys(&old, &new)
                && keys.iter().all(|k| CATALOG_KEYS.contains(&k.as_slice()))
            {
                continue;
            }
            forbid(
                &mut changes,
                "se modificó el catálogo del documento".to_owned(),
            );
            continue;
        }
        if Some(id) == acroform_prev {
            if let (Some(keys), Object::Dictionary(o), Object::Dictionary(n)) =
                (changed_keys(&old, &new), old.as_ref(), new.as_ref())
            {
                let fields_kept = match (o.get(b"Fields"), n.get(b"Fields")) {
                    (Ok(a), Ok(b)) => same(a, b),
                    (Err(_), Err(_)) => true,
                    _ => false,
                };
                if keys.iter().all(|k| ACROFORM_KEYS.contains(&k.as_slice())) && fields_kept {
                    continue;
                }
            }
            forbid(
                &mut changes,
                "se modificó el formulario del documento (lista de campos)".to_owned(),
            );
            continue;
        }
        if Some(id) == info_prev {
            continue;
        }
        if let Some(name) = field_names.get(&id) {
            let Some(keys) = changed_keys(&old, &new) else {
                forbid(&mut changes, format!("se reemplazó el campo «{name}»"));
                continue;
            };
            let extra: Vec<String> = keys
                .iter()
                .filter(|k| !FILL_KEYS.contains(&k.as_slice()))
                .map(|k| format!("/{}", String::from_utf8_lossy(k)))
                .collect();
            if !extra.is_empty() {
                forbid(
                    &mut changes,
                    format!(
                        "se modificaron propiedades del campo «{name}» ({})",
                        extra.join(", ")
                    ),
                );
                continue;
            }
            changes.touched_fields.push(name.clone());
            if has_value(&old) {
                forbid(
                    &mut changes,
                    format!("se cambió el campo «{name}», que ya estaba lleno"),
                );
                continue;
            }
            let kind = form_now
                .as_ref()
                .and_then(|f| f.field(name))
                .map(|f| f.kind)
                .unwrap_or(FieldKind::Other);
            match kind {
                FieldKind::Signature => {
                    if let Object::Dictionary(d) = new.as_ref() {
                        if let Ok(Object::Reference(v)) = d.get(b"V") {
                            signed_here.push((name.clone(), *v));
                        } else if has_value(&new) {
                            forbid(
                                &mut changes,
                                format!(
                                    "el campo de firma «{name}» recibió un valor que no es una firma"
                                ),
                            );
                        }
                    }
                }
                FieldKind::Text => {
                    if has_value(&new) {
                        filled_text.push(name.clone());
                    }
                }
                FieldKind::Other => {
                    if has_value(&new) {
                        filled_text.push(name.clone());
                    }
                }
            }
            continue;
        }
        forbid(
            &mut changes,
            format!("se modificó {}", describe(&old, id, &page_numbers)),
        );
    }

    for id in &file.revisions[j].freed_ids {
        if file.revisions[prev].entry(*id).is_some() {
            forbid(&mut changes, format!("se eliminó el objeto {id}"));
        }
    }

    // A new object whose number an older, unchanged object already referenced
    // changes what that older object means without rewriting it.
    if !new_ids.is_empty() {
        let mut live: Vec<u32> = file.revisions[prev].ids().collect();
        live.sort_unstable();
        for id in live {
            if file.revisions[j].own_ids.binary_search(&id).is_ok() {
                continue; // rewritten in this revision: judged above
            }
            let Some(entry) = file.revisions[prev].entry(id) else {
                continue;
            };
            let referenced = match refs.get(&entry) {
                Some(r) => r.clone(),
                None => {
                    let mut r = Vec::new();
                    if let Some(o) = file.get(prev, id)? {
                        collect_refs(&o, &mut r, 0);
                    }
                    refs.insert(entry, r.clone());
                    r
                }
            };
            if let Some(target) = referenced.iter().find(|r| new_ids.contains(r)) {
                forbid(
                    &mut changes,
                    format!(
                        "se agregó el objeto {target}, al que ya apuntaba el objeto {id} de una versión anterior"
                    ),
                );
            }
        }
    }

    // The domain pattern: fields are filled only by the signature that locks
    // them, one signature per revision.
    if signed_here.len() > 1 {
        forbid(
            &mut changes,
            "se agregaron varias firmas en una sola revisión".to_owned(),
        );
    }
    if !filled_text.is_empty() {
        let lock = match (signed_here.first(), form_now.as_ref()) {
            (Some((field_name, sig)), Some(form)) => {
                signature_locks(file, j, form, field_name, *sig)?
            }
            _ => LockSpec::None,
        };
        let orphans: Vec<&String> = filled_text.iter().filter(|n| !lock.locks(n)).collect();
        if !orphans.is_empty() {
            let list = orphans
                .iter()
                .map(|n| format!("«{n}»"))
                .collect::<Vec<_>>()
                .join(", ");
            forbid(
                &mut changes,
                if signed_here.is_empty() {
                    format!("se llenaron campos sin firmarlos: {list}")
                } else {
                    format!("se llenaron campos que la firma de esa revisión no bloquea: {list}")
                },
            );
        }
    }
    Ok(changes)
}

/// The lock of the signature in field `field_name` whose dictionary is `sig`:
/// its FieldMDP transform, else the field's `/Lock`.
pub(crate) fn signature_locks(
    file: &PdfFile<'_>,
    rev: usize,
    form: &Form,
    field_name: &str,
    sig: ObjectId,
) -> Result<LockSpec> {
    if let Some(sig) = file.get(rev, sig.0)?
        && let Object::Dictionary(sig) = sig.as_ref()
        && let Some(spec) = field_mdp(file, rev, sig)?
    {
        return Ok(spec);
    }
    if let Some(field) = form.field(field_name)
        && let Some(lock) = file.get_key(rev, field.dict(), b"Lock")?
        && let Object::Dictionary(lock) = lock.as_ref()
    {
        return LockSpec::from_dict(file, rev, lock);
    }
    Ok(LockSpec::None)
}

/// The FieldMDP transform of a signature dictionary's `/Reference`, if any.
pub(crate) fn field_mdp(
    file: &PdfFile<'_>,
    rev: usize,
    sig: &Dictionary,
) -> Result<Option<LockSpec>> {
    let Some(refs) = file.get_key(rev, sig, b"Reference")? else {
        return Ok(None);
    };
    let Object::Array(items) = refs.as_ref() else {
        return Ok(None);
    };
    for item in items {
        let item = file.resolve(rev, item)?;
        let Object::Dictionary(r) = item.as_ref() else {
            continue;
        };
        if r.get(b"TransformMethod").ok() != Some(&Object::Name(b"FieldMDP".to_vec())) {
            continue;
        }
        if let Some(params) = file.get_key(rev, r, b"TransformParams")?
            && let Object::Dictionary(params) = params.as_ref()
        {
            return Ok(Some(LockSpec::from_dict(file, rev, params)?));
        }
    }
    Ok(None)
}

/// Field object number → full name, from both revisions' forms.
fn names_by_id(a: Option<&Form>, b: Option<&Form>) -> HashMap<u32, String> {
    a.into_iter()
        .chain(b)
        .flat_map(|f| f.fields.iter())
        .map(|f| (f.id.0, f.name.clone()))
        .collect()
}

fn is_plumbing(o: &Object) -> bool {
    match o {
        Object::Stream(s) => matches!(
            s.dict.get(b"Type"),
            Ok(Object::Name(n)) if n == b"XRef" || n == b"ObjStm"
        ),
        _ => false,
    }
}

/// The keys whose values differ between two dictionaries (or streams' dicts,
/// with the data compared as a `/Data` pseudo-key); `None` when the objects
/// are not both dictionaries.
fn changed_keys(old: &Object, new: &Object) -> Option<Vec<Vec<u8>>> {
    let (Object::Dictionary(a), Object::Dictionary(b)) = (old, new) else {
        return None;
    };
    let mut keys: Vec<Vec<u8>> = Vec::new();
    for (k, v) in a.iter() {
        if !b.get(k).is_ok_and(|w| same(v, w)) {
            keys.push(k.clone());
        }
    }
    for (k, _) in b.iter() {
        if !a.has(k) {
            keys.push(k.clone());
        }
    }
    Some(keys)
}

/// Equality that ignores how a string was written (literal or hexadecimal):
/// a writer may re-serialise an unchanged object either way.
pub(crate) fn same(a: &Object, b: &Object) -> bool {
    match (a, b) {
        (Object::String(x, _), Object::String(y, _)) => x == y,
        (Object::Array(x), Object::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Object::Dictionary(x), Object::Dictionary(y)) => same_dict(x, y),
        (Object::Stream(x), Object::Stream(y)) => {
            x.content == y.content && same_dict(&x.dict, &y.dict)
        }
        (Object::Integer(x), Object::Real(y)) | (Object::Real(y), Object::Integer(x)) => {
            (*x as f32) == *y
        }
        _ => a == b,
    }
}

fn same_dict(x: &Dictionary, y: &Dictionary) -> bool {
    x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_ok_and(|w| same(v, w)))
}

fn has_value(o: &Object) -> bool {
    match o {
        Object::Dictionary(d) => match d.get(b"V") {
            Ok(Object::String(s, _)) => !s.is_empty(),
            Ok(Object::Null) | Err(_) => false,
            Ok(_) => true,
        },
        _ => false,
    }
}

fn describe(o: &Object, id: u32, pages: &HashMap<u32, usize>) -> String {
    let dict = match o {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&s.dict),
        _ => None,
    };
    if let Some(n) = pages.get(&id) {
        return format!("la página {n}");
    }
    let Some(d) = dict else {
        return format!("el objeto {id}");
    };
    match (d.get(b"Type"), d.get(b"Subtype")) {
        (Ok(Object::Name(t)), _) if t == b"Pages" => "el árbol de páginas".to_owned(),
        (Ok(Object::Name(t)), _) if t == b"Sig" => format!("una firma anterior (objeto {id})"),
        (_, Ok(Object::Name(s))) if matches!(o, Object::Dictionary(_)) => format!(
            "una anotación /{} (objeto {id})",
            String::from_utf8_lossy(s)
        ),
        _ if matches!(o, Object::Stream(_)) => {
            format!("un contenido o recurso gráfico (objeto {id})")
        }
        _ => format!("el objeto {id}"),
    }
}

fn collect_refs(o: &Object, out: &mut Vec<u32>, depth: usize) {
    if depth > 64 {
        return;
    }
    match o {
        Object::Reference(r) => out.push(r.0),
        Object::Array(items) => items.iter().for_each(|i| collect_refs(i, out, depth + 1)),
        Object::Dictionary(d) => d.iter().for_each(|(_, v)| collect_refs(v, out, depth + 1)),
        Object::Stream(s) => s
            .dict
            .iter()
            .for_each(|(_, v)| collect_refs(v, out, depth + 1)),
        _ => {}
    }
}

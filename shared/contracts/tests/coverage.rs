//! Every subscribed event type has an emitter, every emitted type a
//! subscriber or a stated reason, and the emitters' sources really record
//! what [`EMITTERS`] says they do (through the constants, never a copy of
//! the name).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rubrica_contracts::events::{EMITTERS, UNSUBSCRIBED};
use rubrica_platform::events::SUITE_SUBSCRIPTIONS;

fn subscribed() -> BTreeSet<&'static str> {
    SUITE_SUBSCRIPTIONS.iter().map(|(t, _)| *t).collect()
}

fn emitted() -> BTreeSet<&'static str> {
    EMITTERS.iter().map(|(t, _)| *t).collect()
}

#[test]
fn every_subscribed_type_has_an_emitter() {
    let missing: Vec<_> = subscribed().difference(&emitted()).copied().collect();
    assert!(missing.is_empty(), "suscritos sin emisor: {missing:?}");
}

#[test]
fn every_emitted_type_has_a_subscriber_or_a_reason() {
    let reasons: BTreeSet<&str> = UNSUBSCRIBED.iter().map(|(t, _)| *t).collect();
    let subscribed = subscribed();
    for t in emitted() {
        assert!(
            subscribed.contains(t) || reasons.contains(t),
            "{t} se emite sin suscriptor ni razón declarada"
        );
        assert!(
            !(subscribed.contains(t) && reasons.contains(t)),
            "{t} tiene suscriptor y a la vez una razón para no tenerlo"
        );
    }
    for (t, reason) in UNSUBSCRIBED {
        assert!(
            emitted().contains(t),
            "{t}: razón declarada para un tipo que nadie emite"
        );
        assert!(!reason.trim().is_empty(), "{t}: razón vacía");
    }
}

/// `pub const NAME: &str = "type";` of the events module: name → type.
fn constants() -> Vec<(String, String)> {
    let source = include_str!("../src/events.rs");
    source
        .lines()
        .filter_map(|line| {
            let rest = line.trim().strip_prefix("pub const ")?;
            let (name, rest) = rest.split_once(": &str = \"")?;
            let (value, _) = rest.split_once('"')?;
            Some((name.to_string(), value.to_string()))
        })
        .collect()
}

fn sources(dir: &Path, out: &mut String) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push_str(&std::fs::read_to_string(&path).unwrap());
            out.push('\n');
        }
    }
}

fn service_sources(service: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../services")
        .join(service)
        .join("src");
    let mut out = String::new();
    sources(&dir, &mut out);
    out
}

#[test]
fn emitters_record_their_types_through_the_constants() {
    let constants = constants();
    assert!(constants.len() >= EMITTERS.len());
    for (event_type, service) in EMITTERS {
        let (name, _) = constants
            .iter()
            .find(|(_, v)| v == event_type)
            .unwrap_or_else(|| panic!("{event_type} no tiene constante en events.rs"));
        let code = service_sources(service.as_str());
        assert!(
            code.contains(".record("),
            "{service:?} no registra eventos en su outbox"
        );
        // The constant used by the emitter (imported from the contracts).
        let used = code.match_indices(name.as_str()).any(|(at, _)| {
            let before = code[..at].chars().next_back();
            let after = code[at + name.len()..].chars().next();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
        });
        assert!(
            used,
            "{service:?} dice emitir {event_type} pero no usa {name}"
        );
    }
    // No service spells an event type out: a copy of a name is how drift starts.
    for service in ["secretariat", "documents", "signing", "mail", "archive"] {
        let code = service_sources(service);
        for (_, value) in &constants {
            assert!(
                !code.contains(&format!("\"{value}\"")),
                "services/{service} escribe \"{value}\" en lugar de usar la constante de rubrica-contracts"
            );
        }
    }
}

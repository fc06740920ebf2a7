//! Who may speak and who may vote (000 III.1–3, V.3, VI, VIII; 004, "facilitador").

use serde::{Deserialize, Serialize};
use time::Date;

use crate::config::{Config, SeatId};

/// A member's post in the secretariat, and the capacity in which they attend
/// a session: one enum for the whole suite (the secretariat stores it in
/// `designations.role`; access roles are the platform's `Role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Post {
    /// The seat's principal member: voice and vote (000 III.1).
    #[serde(rename = "titular")]
    Titular,
    /// The titular's substitute, of the same sector: voice; votes when
    /// substituting the titular (000 III.2, V.3).
    #[serde(rename = "suplente")]
    Suplente,
    /// The seat's technical liaison: voice only (000 III.3).
    #[serde(rename = "enlace")]
    Enlace,
    /// The neutral technical secretary of the STL: voice, no vote (004).
    #[serde(rename = "facilitador")]
    Facilitator,
    /// An institution invited for the life of its project: voice only (000
    /// VIII). Written `invitado`; `miembro_invitado` is read too.
    #[serde(rename = "invitado", alias = "miembro_invitado")]
    Invited,
}

impl Post {
    /// The words a client writes.
    pub const CHOICES: &'static [(&'static str, Post)] = &[
        ("titular", Post::Titular),
        ("suplente", Post::Suplente),
        ("enlace", Post::Enlace),
        ("facilitador", Post::Facilitator),
        ("invitado", Post::Invited),
    ];

    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Post::Titular => "titular",
            Post::Suplente => "suplente",
            Post::Enlace => "enlace",
            Post::Facilitator => "facilitador",
            Post::Invited => "invitado",
        }
    }

    /// Parses a stored word.
    pub fn from_stored(text: &str) -> Option<Post> {
        Post::CHOICES
            .iter()
            .find(|(w, _)| *w == text)
            .map(|(_, p)| *p)
    }

    /// Whether the post belongs to a seat (titular, suplente, enlace).
    pub fn has_seat(self) -> bool {
        matches!(self, Post::Titular | Post::Suplente | Post::Enlace)
    }

    /// The Spanish name a person reads.
    pub fn name_es(self) -> &'static str {
        match self {
            Post::Titular => "titular",
            Post::Suplente => "suplente",
            Post::Enlace => "enlace",
            Post::Facilitator => "facilitador",
            Post::Invited => "miembro invitado",
        }
    }
}

/// 000 III.1–3, VIII.5; 004 (facilitator "con voz, pero no con voto"): every role has voice in
/// the sessions. An invited member's voice lasts as long as its project
/// ([`invited_member_seated`]).
pub fn has_voice(role: Post) -> bool {
    match role {
        Post::Titular | Post::Suplente | Post::Enlace | Post::Facilitator | Post::Invited => true,
    }
}

/// 000 III.1–3, V.3, VIII.5; 004 facilitator: only the titular votes, and the suplente when the
/// titular of the same seat is absent ("excepto cuando supla al titular, éste tendrá derecho a
/// voz y voto"). Enlaces, the facilitator and invited members never vote.
pub fn has_vote(role: Post, titular_present: bool) -> bool {
    match role {
        Post::Titular => true,
        Post::Suplente => !titular_present,
        Post::Enlace | Post::Facilitator | Post::Invited => false,
    }
}

/// 000 VIII.4: an invited member stays in the secretariat only for the duration of its project,
/// up to and including the day the project ends.
pub fn invited_member_seated(project_ends: Date, on: Date) -> bool {
    on <= project_ends
}

/// 000 VI, VII.1: the vote cast for the presiding seat decides a tie, when the secretariat's
/// rules grant a casting vote. The suplente of the presiding seat, when substituting, holds it
/// too: 000 V.3 gives the substitute "voz y voto en igualdad de condiciones".
pub fn has_casting_vote(config: &Config, seat: &SeatId) -> bool {
    config.decision.president_casting_vote && config.president == *seat
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::{jalisco, preset};
    use time::macros::date;

    /// 000 III.1: "Cada uno de los integrantes del STL contará con voz y voto".
    #[test]
    fn a_titular_has_voice_and_vote() {
        assert!(has_voice(Post::Titular));
        assert!(has_vote(Post::Titular, true));
    }

    /// 000 III.2: the suplente "podrá participar en todas las sesiones sólo con voz".
    #[test]
    fn a_suplente_has_only_voice_while_the_titular_is_present() {
        assert!(has_voice(Post::Suplente));
        assert!(!has_vote(Post::Suplente, true));
    }

    /// 000 III.2, V.3: "excepto cuando supla al titular, éste tendrá derecho a voz y voto".
    #[test]
    fn a_suplente_votes_when_substituting_the_absent_titular() {
        assert!(has_vote(Post::Suplente, false));
    }

    /// 000 III.3: the enlace "sólo tendrá derecho a voz en las sesiones".
    #[test]
    fn an_enlace_has_voice_but_never_votes() {
        assert!(has_voice(Post::Enlace));
        assert!(!has_vote(Post::Enlace, false));
        assert!(!has_vote(Post::Enlace, true));
    }

    /// 004: the facilitator "cuenta con voz, pero no con voto dentro del STL".
    #[test]
    fn the_facilitator_has_voice_but_never_votes() {
        assert!(has_voice(Post::Facilitator));
        assert!(!has_vote(Post::Facilitator, false));
    }

    /// 000 VIII.5: invited members "podrán participar en todas las sesiones ... solo con voz".
    #[test]
    fn an_invited_member_has_voice_but_never_votes() {
        assert!(has_voice(Post::Invited));
        assert!(!has_vote(Post::Invited, false));
    }

    /// 000 VIII.4: "Su permanencia ... será únicamente por el periodo de duración de su proyecto".
    #[test]
    fn an_invited_member_leaves_when_the_project_ends() {
        let ends = date!(2026 - 06 - 30);
        assert!(invited_member_seated(ends, date!(2026 - 06 - 30)));
        assert!(!invited_member_seated(ends, date!(2026 - 07 - 01)));
    }

    /// 000 VI: "El Presidente del STL tendrá voto de calidad, en caso de empate."
    #[test]
    fn only_the_presiding_seat_holds_the_casting_vote() {
        let config = jalisco();
        assert!(has_casting_vote(&config, &config.president));
        let academia = config.seat("academia").unwrap().id.clone();
        assert!(!has_casting_vote(&config, &academia));
    }

    /// 004 Table 2: outside Jalisco no casting vote is stated.
    #[test]
    fn presets_without_a_casting_vote_give_it_to_nobody() {
        let config = preset("oaxaca").unwrap();
        assert!(!has_casting_vote(&config, &config.president));
    }

    #[test]
    fn roles_serialise_in_spanish() {
        assert_eq!(serde_json::to_value(Post::Invited).unwrap(), "invitado");
        let read: Post = serde_json::from_value("miembro_invitado".into()).unwrap();
        assert_eq!(read, Post::Invited);
        for (word, post) in Post::CHOICES {
            assert_eq!(post.as_str(), *word);
            assert_eq!(Post::from_stored(word), Some(*post));
            assert_eq!(serde_json::to_value(post).unwrap(), *word);
        }
        assert_eq!(
            serde_json::to_value(Post::Facilitator).unwrap(),
            "facilitador"
        );
    }
}

//! Invariants over random attendance and votes (issue 4, "Tests"): a represented seat counts
//! once; removing a civil-society vote in favour never turns a rejection into an approval;
//! quorum never holds with half the active seats or fewer. Plus the notice computation's
//! invariants and "no panics on input".

use proptest::prelude::*;
use rubrica_rules::{
    Attendance, Calendar, Config, MajorityBase, NoticeSettings, Outcome, PRESET_NAMES, Presence,
    SeatId, SessionKind, Vote, business_days_of_notice, check_notice, decide, evaluate_scenario,
    latest_issue_date, preset, quorum,
};
use time::{Date, Duration};

/// What happens at one seat: whether it is active, who signs the attendance list for it
/// (possibly several entries), and its vote if represented.
#[derive(Debug, Clone)]
struct SeatCase {
    active: bool,
    entries: Vec<Presence>,
    vote: Option<Vote>,
}

#[derive(Debug, Clone)]
struct Case {
    config: Config,
    seats: Vec<SeatCase>,
}

// Weighted towards sessions that reach quorum and split votes, where the rules have work to do.
fn presence() -> impl Strategy<Value = Presence> {
    prop_oneof![
        1 => Just(Presence::Absent),
        2 => Just(Presence::Suplente),
        4 => Just(Presence::Titular)
    ]
}

fn vote() -> impl Strategy<Value = Vote> {
    prop_oneof![
        3 => Just(Vote::InFavour),
        2 => Just(Vote::Against),
        1 => Just(Vote::Abstain)
    ]
}

fn seat_case() -> impl Strategy<Value = SeatCase> {
    (
        prop::bool::weighted(0.9),
        prop::collection::vec(presence(), 0..3),
        prop::option::weighted(0.9, vote()),
    )
        .prop_map(|(active, entries, vote)| SeatCase {
            active,
            entries,
            vote,
        })
}

/// A random preset with random decision settings, active seats, attendance and votes.
fn case() -> impl Strategy<Value = Case> {
    (
        // Jalisco (index 0, nine seats) half the time: the small presets have few splits.
        prop_oneof![1 => Just(0), 1 => 0..PRESET_NAMES.len()],
        any::<[bool; 6]>(),
        prop::collection::vec(seat_case(), 9),
    )
        .prop_map(|(index, flags, seats)| {
            let mut config = preset(PRESET_NAMES[index]).expect("every preset name resolves");
            config.decision.consensus_only = flags[0];
            config.decision.majority_needs_civil_society = flags[1];
            config.decision.majority_needs_each_group = flags[2];
            config.decision.president_casting_vote = flags[3];
            config.decision.majority_base = if flags[4] {
                MajorityBase::SeatsRepresented
            } else {
                MajorityBase::VotesCast
            };
            config.quorum.civil_society_required = !flags[5];
            let seats: Vec<SeatCase> = seats.into_iter().take(config.seats.len()).collect();
            for (seat, case) in config.seats.iter_mut().zip(&seats) {
                seat.active = case.active;
            }
            Case { config, seats }
        })
}

impl Case {
    fn attendance(&self) -> Attendance {
        let entries = self
            .config
            .seats
            .iter()
            .zip(&self.seats)
            .flat_map(|(seat, case)| {
                case.entries
                    .iter()
                    // An inactive seat cannot be represented (that is an input error, tested
                    // elsewhere); here its entries say nobody came.
                    .map(move |p| {
                        (
                            seat.id.clone(),
                            if seat.active { *p } else { Presence::Absent },
                        )
                    })
            });
        Attendance::new(&self.config, entries).expect("entries name configured seats")
    }

    fn votes(&self, attendance: &Attendance) -> Vec<(SeatId, Vote)> {
        self.config
            .seats
            .iter()
            .zip(&self.seats)
            .filter(|(seat, _)| attendance.is_represented(&seat.id))
            .filter_map(|(seat, case)| case.vote.map(|vote| (seat.id.clone(), vote)))
            .collect()
    }

    /// Active seats with at least one titular or suplente entry.
    fn distinct_represented(&self) -> usize {
        self.config
            .seats
            .iter()
            .zip(&self.seats)
            .filter(|(seat, case)| {
                seat.active && case.entries.iter().any(|p| *p != Presence::Absent)
            })
            .count()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// 000 V.2–3: a seat counts once whoever represents it and however many entries name it;
    /// every represented seat appears once in the tally.
    #[test]
    fn a_represented_seat_counts_once(case in case()) {
        let attendance = case.attendance();
        let finding = quorum(&case.config, &attendance);
        prop_assert_eq!(finding.represented, case.distinct_represented());
        prop_assert_eq!(attendance.represented_count(), case.distinct_represented());
        prop_assert!(finding.represented <= finding.active);

        let decision = decide(&case.config, &attendance, &case.votes(&attendance)).unwrap();
        prop_assert_eq!(
            decision.in_favour + decision.against + decision.abstentions,
            finding.represented
        );
    }

    /// 000 VI: "debiendo contarse ... por lo menos con un voto de la sociedad civil" — taking a
    /// civil-society vote in favour away (as abstention, absence of vote, or against) never
    /// turns a rejection into an approval.
    #[test]
    fn removing_a_civil_society_favour_vote_never_approves_a_rejected_motion(case in case()) {
        let attendance = case.attendance();
        let votes = case.votes(&attendance);
        let before = decide(&case.config, &attendance, &votes).unwrap();
        for (index, (seat, vote)) in votes.iter().enumerate() {
            let civil = case.config.seat(seat.as_str()).unwrap().is_civil_society();
            if !civil || *vote != Vote::InFavour {
                continue;
            }
            let mut removed = votes.clone();
            removed.remove(index);
            let mut abstained = votes.clone();
            abstained[index].1 = Vote::Abstain;
            let mut against = votes.clone();
            against[index].1 = Vote::Against;
            for changed in [removed, abstained, against] {
                let after = decide(&case.config, &attendance, &changed).unwrap();
                if before.outcome == Outcome::Rejected {
                    prop_assert_eq!(after.outcome, Outcome::Rejected, "{} → {}", before.explanation, after.explanation);
                }
            }
        }
    }

    /// 000 V.2 "la mayoría de los integrantes ... activos": never with half or fewer.
    #[test]
    fn quorum_never_holds_with_half_the_active_seats_or_fewer(case in case()) {
        let attendance = case.attendance();
        let finding = quorum(&case.config, &attendance);
        if finding.represented * 2 <= finding.active {
            prop_assert!(!finding.ok, "{}", finding.explanation);
        }
        if finding.ok && case.config.quorum.civil_society_required {
            prop_assert!(finding.civil_society_represented);
        }
    }

    /// 000 VI / V.2: without quorum at the vote nothing is approved.
    #[test]
    fn nothing_is_approved_without_quorum(case in case()) {
        let attendance = case.attendance();
        let decision = decide(&case.config, &attendance, &case.votes(&attendance)).unwrap();
        if !quorum(&case.config, &attendance).ok {
            prop_assert_eq!(decision.outcome, Outcome::Rejected);
        }
    }
}

fn date_between(from: Date, days: i64) -> impl Strategy<Value = Date> {
    (0..days).prop_map(move |offset| from + Duration::days(offset))
}

fn notice_settings() -> impl Strategy<Value = NoticeSettings> {
    (1u32..12, any::<bool>(), any::<bool>()).prop_map(|(ordinary, issue_day_counts, rolls)| {
        NoticeSettings {
            ordinary,
            issue_day_counts,
            non_business_issue_rolls_forward: rolls,
            ..NoticeSettings::default()
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// 000 V.6: the latest valid issue date gives enough notice, and no later day does.
    #[test]
    fn the_latest_issue_date_is_exactly_the_last_valid_day(
        session in date_between(time::macros::date!(2024 - 01 - 01), 365 * 10),
        settings in notice_settings(),
        own_days in prop::collection::vec(date_between(time::macros::date!(2023 - 10 - 01), 365 * 11), 0..30),
    ) {
        let calendar = Calendar::new(own_days);
        let latest = latest_issue_date(SessionKind::Ordinary, session, &settings, &calendar).unwrap();
        let finding = check_notice(SessionKind::Ordinary, Some(latest), session, &settings, &calendar);
        prop_assert!(finding.ok, "{}", finding.explanation);
        let mut later = latest.next_day().unwrap();
        while later < session {
            let finding = check_notice(SessionKind::Ordinary, Some(later), session, &settings, &calendar);
            prop_assert!(!finding.ok, "{} ({later})", finding.explanation);
            later = later.next_day().unwrap();
        }
    }

    /// 000 V.6: issuing earlier never gives fewer business days of notice.
    #[test]
    fn issuing_earlier_never_gives_less_notice(
        issued in date_between(time::macros::date!(2025 - 01 - 01), 800),
        earlier_by in 0i64..40,
        session_after in 0i64..60,
        settings in notice_settings(),
    ) {
        let calendar = Calendar::default();
        let session = issued + Duration::days(session_after);
        let earlier = issued - Duration::days(earlier_by);
        prop_assert!(
            business_days_of_notice(earlier, session, &settings, &calendar)
                >= business_days_of_notice(issued, session, &settings, &calendar)
        );
    }

    /// No input makes the evaluator panic: it answers or explains.
    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}") {
        let _ = evaluate_scenario(&text);
    }

    /// Nor does a well-formed scenario with arbitrary values in its fields.
    #[test]
    fn arbitrary_field_values_never_panic(
        kind in "[a-z_]{0,20}",
        date in "[0-9-]{0,12}",
        issued in "[0-9-]{0,12}",
        seat in "[a-z_]{0,24}",
        present in "[a-z]{0,10}",
        vote in "[a-z]{0,12}",
    ) {
        let scenario = serde_json::json!({
            "session": {"kind": kind, "date": date, "convocatoria_issued": issued},
            "attendance": [{"seat": seat, "present": present}],
            "votes": [{"seat": seat, "vote": vote}],
        });
        let _ = evaluate_scenario(&scenario.to_string());
    }
}

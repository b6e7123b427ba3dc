//! The rules as one pass: each record is checked against the rules its category can match
//! (an index skips the others); plain, threshold and absence rules keep what they need.

use super::*;

/// Values a finding needs from the record it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Sample {
    pub(super) ids: Vec<(IdKind, String)>,
    /// Placeholder name (lower case) → value.
    pub(super) values: Vec<(String, String)>,
}

impl Sample {
    fn take(record: &Record<'_>, rule: &Rule) -> Sample {
        let mut ids = Vec::new();
        let mut add = |kind: IdKind, v: Option<std::borrow::Cow<'_, str>>| {
            if let Some(v) = v {
                ids.push((kind, v.into_owned()));
            }
        };
        add(IdKind::CallId, record.call_id());
        add(IdKind::ServerCallId, record.server_call_id());
        add(IdKind::CallConnectionId, record.call_connection_id());
        add(IdKind::ParticipantId, record.participant_id());
        add(IdKind::SmsMessageId, record.sms_message_id());
        add(IdKind::ChatThreadId, record.chat_thread_id());
        add(IdKind::UserId, record.user_id());
        add(IdKind::MsCv, record.ms_cv());
        add(IdKind::ClientRequestId, record.client_request_id());
        let values = rule
            .placeholders()
            .map(|name| {
                let value = if record.is_body(name) {
                    crate::record::BODY_NOT_SHOWN.to_owned()
                } else {
                    FieldRef::named(name).get(record).text().into_owned()
                };
                (name.to_ascii_lowercase(), value)
            })
            .collect();
        Sample { ids, values }
    }
}

/// Matches of one group of a plain rule.
#[derive(Debug, Clone, Default)]
pub(super) struct GroupMatches {
    pub(super) occurrences: Occurrences,
    /// Sample of the earliest match (with its evidence, to keep the choice order-independent).
    pub(super) sample: Option<(Evidence, Sample)>,
}

impl GroupMatches {
    fn add(&mut self, evidence: Evidence, sample: Sample) {
        if self.sample.as_ref().is_none_or(|(e, _)| evidence < *e) {
            self.sample = Some((evidence.clone(), sample));
        }
        self.occurrences.add(evidence);
    }

    fn merge(&mut self, other: GroupMatches) {
        if let Some((e, s)) = other.sample
            && self.sample.as_ref().is_none_or(|(mine, _)| e < *mine)
        {
            self.sample = Some((e, s));
        }
        self.occurrences.merge(other.occurrences);
    }
}

/// One match of a threshold rule.
#[derive(Debug, Clone)]
pub(super) struct Hit {
    pub(super) evidence: Evidence,
    pub(super) sample: Sample,
}

/// One trigger of an absence rule.
#[derive(Debug, Clone)]
pub(super) struct Trigger {
    pub(super) evidence: Evidence,
    pub(super) sample: Sample,
}

#[derive(Debug)]
pub(super) enum RuleState {
    Match(FastMap<Vec<String>, GroupMatches>),
    Threshold(FastMap<Vec<String>, Vec<Hit>>),
    Absence {
        triggers: FastMap<Vec<String>, Vec<Trigger>>,
        follow_ups: FastMap<Vec<String>, Vec<Option<DateTime<Utc>>>>,
    },
}

/// The rules' state on one worker.
pub struct RulesPass {
    pub(super) set: Arc<RuleSet>,
    pub(super) states: Vec<RuleState>,
    /// Latest record time seen (absences are only judged where the logs cover the window).
    pub(super) latest: Option<DateTime<Utc>>,
    pub(super) last_category: LastCategory,
}

/// The rules a record may match, remembered for the last category they were looked up for:
/// records come in long runs of one category, and the lookup lowered and hashed the name for
/// every one of them (about 2 % of a run in the profile, with three bundled rules).
#[derive(Default)]
pub(super) struct LastCategory {
    /// The category as the record wrote it; `None` until the first lookup.
    name: Option<Option<String>>,
    /// The rules requiring it, then the rules of any category.
    rules: Vec<usize>,
}

impl LastCategory {
    fn rules(&mut self, set: &RuleSet, record: &Record<'_>) -> &[usize] {
        let category = record.category.as_deref();
        if self.name.as_ref().is_none_or(|n| n.as_deref() != category) {
            self.rules.clear();
            self.rules.extend(set.candidates(record));
            match (&mut self.name, category) {
                // Interleaved categories change it often: the text's room is kept.
                (Some(Some(name)), Some(category)) => {
                    name.clear();
                    name.push_str(category);
                }
                (name, category) => *name = Some(category.map(str::to_owned)),
            }
        }
        &self.rules
    }
}

pub(super) fn key_of(fields: &[FieldRef], record: &Record<'_>) -> Vec<String> {
    fields
        .iter()
        .map(|f| f.get(record).text().into_owned())
        .collect()
}

impl RulesPass {
    pub fn new(set: Arc<RuleSet>) -> RulesPass {
        let states = set
            .rules
            .iter()
            .map(|r| match r.kind {
                RuleKind::Match => RuleState::Match(FastMap::default()),
                RuleKind::Threshold(_) => RuleState::Threshold(FastMap::default()),
                RuleKind::Absence(_) => RuleState::Absence {
                    triggers: FastMap::default(),
                    follow_ups: FastMap::default(),
                },
            })
            .collect();
        RulesPass {
            set,
            states,
            latest: None,
            last_category: LastCategory::default(),
        }
    }
}

impl Pass for RulesPass {
    fn observe(&mut self, _ctx: &Context, record: &Record<'_>) {
        // A row a rule's KQL query returned counts for that rule only (see `crate::kql`); rows
        // of the analyses' queries are not the rules' to judge.
        let only = match crate::kql::tag_of(record) {
            Some(tag) => match tag.strip_prefix("rule/") {
                Some(id) => Some(id.to_owned()),
                None => return,
            },
            None => None,
        };
        let ours = |rule: &crate::rules::Rule| only.as_deref().is_none_or(|id| id == rule.id);
        if let Some(t) = record.time {
            self.latest = Some(self.latest.map_or(t, |l| l.max(t)));
        }
        // Borrowed apart from the states rather than cloned: the set is shared by every
        // worker, and a clone per record made both cores write its reference count.
        let RulesPass {
            set,
            states,
            last_category,
            ..
        } = self;
        // Absence follow-ups are looked for in every record whatever their category.
        for (i, rule) in set.rules.iter().enumerate() {
            if !ours(rule) {
                continue;
            }
            if let (RuleKind::Absence(a), RuleState::Absence { follow_ups, .. }) =
                (&rule.kind, &mut states[i])
                && a.followed_by.matches(record)
            {
                follow_ups
                    .entry(key_of(&a.key, record))
                    .or_default()
                    .push(record.time);
            }
        }
        for &i in last_category.rules(set, record) {
            let rule = &set.rules[i];
            if !ours(rule) || !rule.when.matches(record) {
                continue;
            }
            let evidence = Evidence::from_record(record, &set.excerpt_fields[i]);
            let sample = Sample::take(record, rule);
            match (&rule.kind, &mut states[i]) {
                (RuleKind::Match, RuleState::Match(groups)) => {
                    groups
                        .entry(key_of(&rule.group_by, record))
                        .or_default()
                        .add(evidence, sample);
                }
                (RuleKind::Threshold(_), RuleState::Threshold(groups)) => {
                    groups
                        .entry(key_of(&rule.group_by, record))
                        .or_default()
                        .push(Hit { evidence, sample });
                }
                (RuleKind::Absence(a), RuleState::Absence { triggers, .. }) => {
                    triggers
                        .entry(key_of(&a.key, record))
                        .or_default()
                        .push(Trigger { evidence, sample });
                }
                _ => {}
            }
        }
    }

    fn merge(&mut self, other: Box<dyn Pass>) {
        let other = downcast_pass::<RulesPass>(other);
        self.latest = match (self.latest, other.latest) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        for (mine, theirs) in self.states.iter_mut().zip(other.states) {
            match (mine, theirs) {
                (RuleState::Match(a), RuleState::Match(b)) => {
                    for (k, g) in b {
                        a.entry(k).or_default().merge(g);
                    }
                }
                (RuleState::Threshold(a), RuleState::Threshold(b)) => {
                    for (k, hits) in b {
                        a.entry(k).or_default().extend(hits);
                    }
                }
                (
                    RuleState::Absence {
                        triggers: ta,
                        follow_ups: fa,
                    },
                    RuleState::Absence {
                        triggers: tb,
                        follow_ups: fb,
                    },
                ) => {
                    for (k, v) in tb {
                        ta.entry(k).or_default().extend(v);
                    }
                    for (k, v) in fb {
                        fa.entry(k).or_default().extend(v);
                    }
                }
                _ => {}
            }
        }
    }

    fn finish(self: Box<Self>, _ctx: &Context, out: &mut Output) {
        let latest = self.latest;
        for (rule, state) in self.set.rules.iter().zip(self.states) {
            match (&rule.kind, state) {
                (RuleKind::Match, RuleState::Match(groups)) => {
                    for (key, group) in sorted(groups) {
                        out.push(match_finding(rule, &key, group));
                    }
                }
                (RuleKind::Threshold(th), RuleState::Threshold(groups)) => {
                    for (key, hits) in sorted(groups) {
                        threshold_findings(rule, th, &key, hits, out);
                    }
                }
                (
                    RuleKind::Absence(a),
                    RuleState::Absence {
                        triggers,
                        follow_ups,
                    },
                ) => absence_findings(rule, a, triggers, follow_ups, latest, out),
                _ => {}
            }
        }
    }
}

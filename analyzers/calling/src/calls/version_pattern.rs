//! `calling/version-pattern`: one SDK, OS or app version behind most failures.

use super::*;

/// One SDK, OS or app version behind most failures.
pub(super) fn version_patterns(
    counts: &BTreeMap<(&'static str, u32), (u32, u32)>,
    names: &FastMap<u32, String>,
    out: &mut Output,
) {
    for kind in ["SDK", "OS", "app"] {
        let of_kind: Vec<(&u32, &(u32, u32))> = counts
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|((_, v), c)| (v, c))
            .collect();
        let total_failed: u32 = of_kind.iter().map(|(_, c)| c.1).sum();
        let total: u32 = of_kind.iter().map(|(_, c)| c.0).sum();
        if total_failed < 5 {
            continue;
        }
        for (v, (n, failed)) in &of_kind {
            let others_n = total - n;
            let others_failed = total_failed - failed;
            let rate = *failed as f64 / *n as f64;
            let others_rate = if others_n == 0 {
                0.0
            } else {
                others_failed as f64 / others_n as f64
            };
            if failed * 2 >= total_failed
                && others_n > 0
                && rate >= 2.0 * others_rate
                && *failed >= 3
            {
                let name = names.get(v).cloned().unwrap_or_default();
                out.push(
                    crate::VERSION_PATTERN.finding().severity(Severity::Warning).title(format!("One {kind} version is behind most call failures"))
                    .message(format!(
                        "{kind} version {name} is behind {failed} of the {total_failed} failed participants ({:.0} % of its {n} participants failed, against {:.0} % for every other version).",
                        rate * 100.0,
                        others_rate * 100.0
                    ))
                    .action(match kind {
                        "SDK" => "Update the clients on that Calling SDK version to the current release and compare.",
                        "OS" => "Test that OS version with the current Calling SDK; check its known issues and network stack.",
                        _ => "Compare that app version with the one before it (its calling code and the Calling SDK it ships); fix or roll back.",
                    }),
                );
            }
        }
    }
}

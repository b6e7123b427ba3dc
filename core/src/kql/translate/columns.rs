//! What a rule's field is in one Log Analytics table: a column, a part of a JSON column, a
//! constant of the table (`category`, `family`), or nothing; and why a field can have no column.

use crate::dedup::{ColumnSchema, TableSchema};
use crate::rules::syntax::{Path, Segment};

use super::super::string;

/// What a field is in one table.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Col {
    /// The table has no such column: every comparison with it is false.
    Missing,
    Expr(String, Kind),
    /// The same value on every row of the table (`category`, `family`).
    Const(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Text,
    Number,
    Time,
    Bool,
}

/// One table a rule reads, with the category and family its rows have.
#[derive(Debug, Clone)]
pub(super) struct Leg<'t> {
    pub(super) table: &'t TableSchema,
    pub(super) category: String,
    pub(super) family: String,
}

/// Names a table gives a field under another name.
const ALIASES: [(&str, &str); 2] = [("time", "TimeGenerated"), ("resourceId", "_ResourceId")];

/// Why a field cannot be read from Log Analytics at all (`None`: it can).
pub(super) fn unreadable(path: &Path) -> Option<String> {
    let first = match path.segments.first() {
        Some(Segment::Name(n)) => n.as_str(),
        _ => "",
    };
    if first.eq_ignore_ascii_case("headers") {
        return Some("HTTP headers are not kept in Log Analytics".to_owned());
    }
    if first.eq_ignore_ascii_case("format") && path.segments.len() == 1 {
        return Some(
            "`format` is the shape of a file; Log Analytics rows have none (use `category`)"
                .to_owned(),
        );
    }
    None
}

/// The segments of `path` after a `properties.` or `data.` prefix (Log Analytics has no bags).
fn unbagged(path: &Path) -> &[Segment] {
    match path.segments.as_slice() {
        [Segment::Name(bag), rest @ ..]
            if !rest.is_empty()
                && ["properties", "data"]
                    .iter()
                    .any(|b| b.eq_ignore_ascii_case(bag)) =>
        {
            rest
        }
        all => all,
    }
}

fn kind_of(column_type: &str) -> Kind {
    match column_type {
        "int" | "long" | "real" | "decimal" => Kind::Number,
        "datetime" => Kind::Time,
        "bool" | "boolean" => Kind::Bool,
        _ => Kind::Text,
    }
}

/// A column name as KQL must write it.
pub(super) fn column_ref(name: &str) -> String {
    let plain = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !["first", "last", "kind", "to", "from"].contains(&name);
    if plain {
        name.to_owned()
    } else {
        format!("['{name}']")
    }
}

impl Leg<'_> {
    /// The column of this table a field name stands for (through [`ALIASES`] and the
    /// portal's ` [UTC]` suffix).
    fn column_named(&self, name: &str) -> Option<&ColumnSchema> {
        let name = name.strip_suffix(" [UTC]").unwrap_or(name);
        let wanted = ALIASES
            .iter()
            .find(|(alias, _)| alias.eq_ignore_ascii_case(name))
            .map_or(name, |(_, column)| column);
        self.table
            .columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(wanted))
    }

    /// The column of this table `path` reads (its base column for a part of a JSON column).
    pub(super) fn column_of(&self, path: &Path) -> Option<&str> {
        match unbagged(path).first() {
            Some(Segment::Name(first)) => self.column_named(first).map(|c| c.name.as_str()),
            _ => None,
        }
    }

    /// What `path` is in this table.
    pub(super) fn resolve(&self, path: &Path) -> Result<Col, String> {
        if let Some(why) = unreadable(path) {
            return Err(why);
        }
        let Some((Segment::Name(first), rest)) = unbagged(path).split_first() else {
            return Ok(Col::Missing);
        };
        let bare = first.strip_suffix(" [UTC]").unwrap_or(first);
        if rest.is_empty() {
            if bare.eq_ignore_ascii_case("category") {
                return Ok(Col::Const(self.category.clone()));
            }
            if bare.eq_ignore_ascii_case("family") {
                return Ok(Col::Const(self.family.clone()));
            }
        }
        let Some(column) = self.column_named(first) else {
            return Ok(Col::Missing);
        };
        if rest.is_empty() {
            return Ok(Col::Expr(column_ref(&column.name), kind_of(&column.kind)));
        }
        let base = match column.kind.as_str() {
            "dynamic" => column_ref(&column.name),
            "string" => format!("parse_json({})", column_ref(&column.name)),
            other => {
                return Err(format!(
                    "column {} of {} is a {other}: it has no parts",
                    column.name, self.table.name
                ));
            }
        };
        let mut expr = base;
        for s in rest {
            match s {
                Segment::Name(n) => expr.push_str(&format!("[{}]", string(n))),
                Segment::Index(i) => expr.push_str(&format!("[{i}]")),
            }
        }
        Ok(Col::Expr(format!("tostring({expr})"), Kind::Text))
    }
}

/// Fields that look like they should have a column, and where Log Analytics keeps the fact.
const NO_COLUMN_HINTS: [(&str, &str); 3] = [
    (
        "deliveryStatus",
        "in Log Analytics a delivery report is a row with OperationName == \"SMSDeliveryReportsReceived\"",
    ),
    (
        "deliveryStatusDetails",
        "in Log Analytics a delivery report is a row with OperationName == \"SMSDeliveryReportsReceived\"",
    ),
    (
        "appVersion",
        "ACSCallSummary keeps it inside the DiagnosticOptions JSON: name it diagnosticOptions.appVersion",
    ),
];

/// Why a field has no column: where the field comes from, and where Log Analytics keeps the
/// fact, when that is known.
pub(super) fn no_column_reason(name: &str) -> String {
    let head = name.split(['.', '[']).next().unwrap_or(name);
    let group = crate::rules::vocab::groups()
        .into_iter()
        .find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(head)))
        .map(|(g, _)| g);
    let mut why = match group.as_deref() {
        Some("event_grid") => format!(
            "only Event Grid events carry `{head}`; no Log Analytics table has a column for it"
        ),
        Some(g) => format!(
            "no Log Analytics table this rule reads has a column for `{head}` (a {g} field of Event Grid events, SDK logs or storage exports)"
        ),
        None => format!("no Log Analytics table this rule reads has a column for `{head}`"),
    };
    if let Some((_, hint)) = NO_COLUMN_HINTS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(head))
    {
        why.push_str("; ");
        why.push_str(hint);
    }
    why
}

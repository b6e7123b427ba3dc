//! Tables: listings an analyzer produces beside its findings (one row per SMS message, say),
//! shown only when asked for (`analyze --table ID`), because they can be long.
//!
//! A table is declared once ([`TableKind`]) with named, typed columns; renderers read cells by
//! column name ([`Table::int`], [`Table::text`]), so reordering columns never breaks a chart.

use serde::Serialize;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Text,
    /// A whole number (a count).
    Integer,
    /// A number, possibly fractional; blank when unknown.
    Number,
    /// An RFC 3339 time; blank when unknown.
    Time,
}

/// One declared column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub kind: ColumnKind,
}

impl Column {
    pub const fn text(name: &'static str) -> Column {
        Column {
            name,
            kind: ColumnKind::Text,
        }
    }
    pub const fn integer(name: &'static str) -> Column {
        Column {
            name,
            kind: ColumnKind::Integer,
        }
    }
    pub const fn number(name: &'static str) -> Column {
        Column {
            name,
            kind: ColumnKind::Number,
        }
    }
    pub const fn time(name: &'static str) -> Column {
        Column {
            name,
            kind: ColumnKind::Time,
        }
    }

    /// True when `cell` is a valid value of this column (blank always is, except for counts).
    pub fn accepts(&self, cell: &str) -> bool {
        match self.kind {
            ColumnKind::Text => true,
            ColumnKind::Integer => cell.parse::<i64>().is_ok(),
            ColumnKind::Number => cell.is_empty() || cell.parse::<f64>().is_ok(),
            ColumnKind::Time => cell.is_empty() || crate::time::parse_timestamp(cell).is_some(),
        }
    }
}

/// A table an analyzer can produce: its stable ID (prefixed like finding IDs), title, what it
/// lists, and its columns.
#[derive(Debug)]
pub struct TableKind {
    pub id: &'static str,
    pub title: &'static str,
    pub doc: &'static str,
    pub columns: &'static [Column],
}

impl TableKind {
    /// An empty table of this kind.
    pub fn table(&'static self) -> Table {
        Table {
            id: self.id.to_owned(),
            title: self.title.to_owned(),
            columns: self.columns.iter().map(|c| c.name.to_owned()).collect(),
            rows: Vec::new(),
            kind: Some(self),
        }
    }
}

/// One table. Cells are text, already formatted and redacted by the analyzer.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    /// Stable ID, prefixed like finding IDs (`sms/messages`).
    pub id: String,
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    #[serde(skip)]
    kind: Option<&'static TableKind>,
}

impl PartialEq for Table {
    fn eq(&self, other: &Self) -> bool {
        (&self.id, &self.title, &self.columns, &self.rows)
            == (&other.id, &other.title, &other.columns, &other.rows)
    }
}

impl Table {
    /// A table not declared in advance (a user rule's, say).
    pub fn new(id: impl Into<String>, title: impl Into<String>, columns: &[&str]) -> Table {
        Table {
            id: id.into(),
            title: title.into(),
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            rows: Vec::new(),
            kind: None,
        }
    }

    /// Adds a row; missing cells are blank and extra cells are dropped, so every row has one
    /// cell per column. In a declared table every cell must fit its column's kind (a defect of
    /// the analyzer otherwise, caught by the tests).
    pub fn push(&mut self, cells: Vec<String>) {
        let mut cells = cells;
        cells.resize(self.columns.len(), String::new());
        if let Some(kind) = self.kind {
            for (column, cell) in kind.columns.iter().zip(&cells) {
                debug_assert!(
                    column.accepts(cell),
                    "table {}: `{cell}` is no {:?} for column {}",
                    kind.id,
                    column.kind,
                    column.name
                );
            }
        }
        self.rows.push(cells);
    }

    fn position(&self, column: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == column)
    }

    /// The cell of `row` in the column named `column`.
    pub fn text<'t>(&'t self, row: &'t [String], column: &str) -> Option<&'t str> {
        row.get(self.position(column)?).map(String::as_str)
    }

    /// The cell as a whole number.
    pub fn int(&self, row: &[String], column: &str) -> Option<i64> {
        self.text(row, column)?.parse().ok()
    }

    /// The cell as a number.
    pub fn number(&self, row: &[String], column: &str) -> Option<f64> {
        self.text(row, column)?.parse().ok()
    }
}

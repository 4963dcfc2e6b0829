//! The results: one row per figure, printed as a table and written as JSON and Markdown.

use std::fmt::Write as _;

use serde::Serialize;

use crate::stats::Summary;

/// One measured figure, for Mutual and (where the scenario has one) automerge-repo.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Row {
    /// The scenario, as the table names it.
    pub(crate) scenario: String,
    /// What was measured, with its unit.
    pub(crate) metric: String,
    pub(crate) mutual: Option<Summary>,
    pub(crate) automerge_repo: Option<Summary>,
    /// Mutual's median / automerge-repo's median.
    pub(crate) ratio: Option<f64>,
    /// The goal for Mutual, in words.
    pub(crate) goal: String,
    pub(crate) verdict: Verdict,
}

/// Whether Mutual meets the row's goal.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "verdict", content = "detail", rename_all = "snake_case")]
pub(crate) enum Verdict {
    Met,
    /// Missed, by how much.
    Missed(String),
    /// A figure shown for comparison, with no goal of its own.
    Info,
}

impl Row {
    pub(crate) fn new(
        scenario: &str,
        metric: &str,
        mutual: Option<Summary>,
        automerge_repo: Option<Summary>,
        goal: &str,
        verdict: Verdict,
    ) -> Row {
        let ratio = match (&mutual, &automerge_repo) {
            (Some(m), Some(r)) if r.median > 0.0 => Some(m.median / r.median),
            _ => None,
        };
        Row {
            scenario: scenario.to_owned(),
            metric: metric.to_owned(),
            mutual,
            automerge_repo,
            ratio,
            goal: goal.to_owned(),
            verdict,
        }
    }
}

/// `Met` when `value` is at most `limit`, else `Missed` saying by how much.
pub(crate) fn at_most(value: f64, limit: f64, unit: &str) -> Verdict {
    if value <= limit {
        Verdict::Met
    } else {
        Verdict::Missed(format!(
            "{} {unit} over the goal ({:.1}×)",
            figure(value - limit),
            value / limit
        ))
    }
}

/// `Met` when the ratio `value` is at most `limit`, else `Missed` saying by how much.
pub(crate) fn ratio_at_most(value: f64, limit: f64) -> Verdict {
    if value <= limit {
        Verdict::Met
    } else {
        Verdict::Missed(format!("{:.1}× the goal", value / limit))
    }
}

/// A number as a person reads it: no noise digits.
pub(crate) fn figure(x: f64) -> String {
    let magnitude = x.abs();
    if magnitude >= 100.0 {
        format!("{x:.0}")
    } else if magnitude >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

fn cell(summary: Option<&Summary>, with_p99: bool) -> String {
    match summary {
        None => "—".to_owned(),
        Some(s) if s.n == 1 => figure(s.median),
        Some(s) if with_p99 => format!("{} (p99 {}, n={})", figure(s.median), figure(s.p99), s.n),
        Some(s) => format!(
            "{} ({}–{}, n={})",
            figure(s.median),
            figure(s.min),
            figure(s.max),
            s.n
        ),
    }
}

fn verdict_cell(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Met => "met".to_owned(),
        Verdict::Missed(by) => format!("MISSED: {by}"),
        Verdict::Info => String::new(),
    }
}

fn cells(row: &Row) -> [String; 7] {
    let p99 = row.metric.contains("latency");
    [
        row.scenario.clone(),
        row.metric.clone(),
        cell(row.mutual.as_ref(), p99),
        cell(row.automerge_repo.as_ref(), p99),
        row.ratio
            .map_or_else(|| "—".to_owned(), |r| format!("{r:.2}")),
        row.goal.clone(),
        verdict_cell(&row.verdict),
    ]
}

const HEADER: [&str; 7] = [
    "scenario",
    "metric",
    "Mutual: median (spread)",
    "automerge-repo",
    "Mutual / repo",
    "goal",
    "verdict",
];

/// The rows as a Markdown table (the format of docs/benchmarks.md).
pub(crate) fn markdown(rows: &[Row]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| {} |", HEADER.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(HEADER.len()));
    for row in rows {
        let cells = cells(row).map(|c| c.replace('|', "\\|"));
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out
}

/// The rows as a plain-text table for the terminal, columns padded.
pub(crate) fn text(rows: &[Row]) -> String {
    let table: Vec<[String; 7]> = std::iter::once(HEADER.map(str::to_owned))
        .chain(rows.iter().map(cells))
        .collect();
    let mut widths = [0usize; 7];
    for line in &table {
        for (width, c) in widths.iter_mut().zip(line) {
            *width = (*width).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for line in &table {
        let padded: Vec<String> = line
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        let _ = writeln!(out, "{}", padded.join("  ").trim_end());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missed_goal_says_by_how_much() {
        assert!(matches!(at_most(10.0, 15.0, "ms"), Verdict::Met));
        match at_most(30.0, 15.0, "ms") {
            Verdict::Missed(by) => assert_eq!(by, "15.0 ms over the goal (2.0×)"),
            other => panic!("30 ms against a 15 ms goal gave {other:?}"),
        }
    }

    #[test]
    fn the_ratio_is_of_medians_and_tables_have_a_line_per_row() {
        let row = Row::new(
            "cold join",
            "time (ms)",
            Summary::of(&[100.0, 200.0, 300.0]),
            Summary::of(&[400.0]),
            "≤ 0.5× automerge-repo",
            Verdict::Met,
        );
        assert_eq!(row.ratio, Some(0.5));
        let rows = [row.clone(), row];
        assert_eq!(markdown(&rows).lines().count(), 4);
        assert_eq!(text(&rows).lines().count(), 3);
        assert!(text(&rows).contains("200 (100–300, n=3)"));
    }
}

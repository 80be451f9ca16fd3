//! Bulk writes for the benchmark's dataset generator: the same rows the API writes (case,
//! owner share, tag index, tasks, observables, alerts, audit), inserted many per statement
//! so that a million cases take minutes. Used only by `waggle bench`.

use super::db::{Tx, Value};
use super::error::StorageError;
use crate::args;

/// Parameters per statement: under SQLite's 32766 and PostgreSQL's 65535 limits.
const MAX_PARAMS: usize = 30_000;

/// `INSERT INTO table (cols) VALUES (…), (…), …` for many rows, in as few statements as the
/// parameter limits allow.
pub async fn insert_rows(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<(), StorageError> {
    if rows.is_empty() {
        return Ok(());
    }
    let per_row = columns.len();
    // Moderate statements: SQLite compiles each one, and giant ones compile slowly.
    let rows_per_stmt = (MAX_PARAMS / per_row).clamp(1, 500);
    let head = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut iter = rows.into_iter().peekable();
    while iter.peek().is_some() {
        let chunk: Vec<Vec<Value>> = iter.by_ref().take(rows_per_stmt).collect();
        let mut sql = String::with_capacity(head.len() + chunk.len() * per_row * 5);
        sql.push_str(&head);
        let mut params = Vec::with_capacity(chunk.len() * per_row);
        for (r, row) in chunk.into_iter().enumerate() {
            if r > 0 {
                sql.push(',');
            }
            sql.push('(');
            for c in 0..per_row {
                if c > 0 {
                    sql.push(',');
                }
                sql.push('$');
                sql.push_str(&(r * per_row + c + 1).to_string());
            }
            sql.push(')');
            params.extend(row);
        }
        tx.execute(&sql, params).await?;
    }
    Ok(())
}

/// Reserves `n` case numbers at once; returns the first.
pub async fn reserve_case_numbers(tx: &mut Tx, n: i64) -> Result<i64, StorageError> {
    let last = tx
        .fetch_i64(
            "INSERT INTO sequence_counter (name, value) VALUES ('case_number', $1) \
             ON CONFLICT (name) DO UPDATE SET value = sequence_counter.value + $1 RETURNING value",
            args![n],
        )
        .await?;
    Ok(last - n + 1)
}

/// Ids of the cases with numbers in `first..first+n`, in number order.
pub async fn case_ids_by_number(tx: &mut Tx, first: i64, n: i64) -> Result<Vec<i64>, StorageError> {
    let rows = tx
        .fetch_all("SELECT id FROM cases WHERE number >= $1 AND number < $2 ORDER BY number", args![first, first + n])
        .await?;
    rows.iter().map(|r| r.get_idx(0)).collect()
}

/// Id of a profile by name (the seeder shares cases with built-in profiles).
pub async fn profile_id(tx: &mut Tx, name: &str) -> Result<i64, StorageError> {
    tx.fetch_i64("SELECT id FROM profile WHERE name = $1", args![name]).await
}

/// Refreshes planner statistics after a bulk load.
pub async fn analyze(tx: &mut Tx) -> Result<(), StorageError> {
    tx.execute("ANALYZE", args![]).await?;
    Ok(())
}

/// Up to `n` ids of `table` spread evenly over the table (for scenarios that need real
/// objects to request). `table` is one of our own table names, never user input.
pub async fn spread_ids(tx: &mut Tx, table: &str, filter: &str, n: i64) -> Result<Vec<i64>, StorageError> {
    let total = tx.fetch_i64(&format!("SELECT COUNT(*) FROM {table} WHERE {filter}"), args![]).await?;
    let step = (total / n.max(1)).max(1);
    let rows = tx
        .fetch_all(
            &format!("SELECT id FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS rn FROM {table} WHERE {filter}) t WHERE rn % $1 = 0 LIMIT $2"),
            args![step, n],
        )
        .await?;
    rows.iter().map(|r| r.get_idx(0)).collect()
}

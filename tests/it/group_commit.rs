//! SQLite group commit: concurrent write transactions share fsyncs, yet each is atomic on
//! its own and acknowledged only once durable.

use waggle::storage::organisations::{self, NewOrganisation};
use waggle::storage::{DatabaseUrl, SqliteSync, Store, open};

async fn store(path: &std::path::Path) -> Store {
    let s = open(&DatabaseUrl::Sqlite(path.to_path_buf()), SqliteSync::Full, 1).await.unwrap();
    waggle::storage::migrate(&s, 0).await.unwrap();
    s
}

async fn count(store: &Store) -> i64 {
    let mut tx = store.read().await.unwrap();
    tx.fetch_i64("SELECT COUNT(*) FROM organisation", vec![]).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_commits_are_all_durable_and_isolated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let s = store(&path).await;
    let mut tasks = Vec::new();
    for i in 0..64 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = s.write().await.unwrap();
            let name = format!("org-{i}");
            let new = NewOrganisation { name: &name, description: "", task_rule: "manual", observable_rule: "manual" };
            organisations::insert(&mut tx, &new, "t", 0).await.unwrap();
            if i % 8 == 7 {
                // Dropped without commit: only this one's work disappears.
                drop(tx);
                false
            } else {
                tx.commit().await.unwrap();
                true
            }
        }));
    }
    let mut committed = 0;
    for t in tasks {
        if t.await.unwrap() {
            committed += 1;
        }
    }
    assert_eq!(committed, 56);
    assert_eq!(count(&s).await, 56);
    // A failing statement inside one transaction does not poison the batch.
    let mut tx = s.write().await.unwrap();
    let dup = NewOrganisation { name: "org-0", description: "", task_rule: "manual", observable_rule: "manual" };
    assert!(organisations::insert(&mut tx, &dup, "t", 0).await.is_err());
    let ok = NewOrganisation { name: "after-error", description: "", task_rule: "manual", observable_rule: "manual" };
    organisations::insert(&mut tx, &ok, "t", 0).await.unwrap();
    tx.commit().await.unwrap();
    s.close().await;
    drop(s);
    let s = store(&path).await;
    assert_eq!(count(&s).await, 57, "everything acknowledged survived reopening");
}

/// The first transaction of a batch runs without a savepoint (its work is all the batch
/// holds): dropping it must still undo exactly its work, and the writer must go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_transaction_of_a_batch_rolls_back_alone() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir.path().join("f.db")).await;
    let org =
        |name: &'static str| NewOrganisation { name, description: "", task_rule: "manual", observable_rule: "manual" };
    let mut tx = s.write().await.unwrap();
    organisations::insert(&mut tx, &org("dropped-first"), "t", 0).await.unwrap();
    drop(tx);
    let mut tx = s.write().await.unwrap();
    organisations::insert(&mut tx, &org("kept"), "t", 0).await.unwrap();
    tx.commit().await.unwrap();
    // A first transaction with a failed statement, then dropped; and one that commits
    // after its own failed statement.
    let mut tx = s.write().await.unwrap();
    assert!(organisations::insert(&mut tx, &org("kept"), "t", 0).await.is_err());
    organisations::insert(&mut tx, &org("dropped-after-error"), "t", 0).await.unwrap();
    drop(tx);
    let mut tx = s.write().await.unwrap();
    assert!(organisations::insert(&mut tx, &org("kept"), "t", 0).await.is_err());
    organisations::insert(&mut tx, &org("kept-after-error"), "t", 0).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = s.read().await.unwrap();
    let names: Vec<String> = tx
        .fetch_all("SELECT name FROM organisation WHERE name LIKE '%-%' OR name = 'kept' ORDER BY name", vec![])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("name").unwrap())
        .collect();
    assert_eq!(names, ["kept", "kept-after-error"]);
}

/// With `synchronous = full` the writer's COMMIT does not fsync; `wal_sync` does, and only
/// its success acknowledges the commit. Here the WAL is unlinked under SQLite (which keeps
/// writing to its open descriptor), so the fsync thread cannot reach the file: the commit
/// must be reported as not durable rather than acknowledged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_is_acknowledged_only_by_the_wal_fsync() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let s = store(&path).await;
    let org =
        |name: &'static str| NewOrganisation { name, description: "", task_rule: "manual", observable_rule: "manual" };
    let mut tx = s.write().await.unwrap();
    organisations::insert(&mut tx, &org("before"), "t", 0).await.unwrap();
    tx.commit().await.expect("an fsynced commit is acknowledged");
    std::fs::remove_file(dir.path().join("g.db-wal")).unwrap();
    let mut tx = s.write().await.unwrap();
    organisations::insert(&mut tx, &org("after"), "t", 0).await.unwrap();
    let err = tx.commit().await.expect_err("a commit whose WAL could not be fsynced is not acknowledged");
    assert!(err.to_string().contains("open"), "{err}");
}

-- The CAB release workflow: its audit log and the SHA-256 of CAB versions already read.

-- Append-only and hash-chained: each entry's `hash` covers its own fields and the previous
-- entry's hash, so an edited or deleted entry breaks the chain from there on
-- (`opsdeck cab audit verify`).
CREATE TABLE cab_audit (
    seq     INTEGER PRIMARY KEY,           -- 1, 2, 3, … without gaps
    at      TEXT NOT NULL,                 -- RFC 3339, UTC
    actor   TEXT NOT NULL,                 -- the Bitbucket account, and the opsdeck token when served
    action  TEXT NOT NULL,                 -- upload, install, approve, reject, promote
    outcome TEXT NOT NULL,                 -- started, ok, failed
    cab     TEXT NOT NULL,                 -- path in the repository
    version TEXT NOT NULL,                 -- commit
    detail  TEXT NOT NULL,                 -- what was done, or why it failed
    prev    TEXT NOT NULL,                 -- hash of entry seq - 1 ('' for the first)
    hash    TEXT NOT NULL
);

-- A commit's bytes never change, so their SHA-256 is read once.
CREATE TABLE cab_digests (
    commit_id TEXT NOT NULL,
    path      TEXT NOT NULL,
    sha256    TEXT NOT NULL,
    size      INTEGER NOT NULL,
    PRIMARY KEY (commit_id, path)
);

-- The comments (records) on a version's commit, as last read from Bitbucket: older versions'
-- records rarely change, so the board reads them again only after a while.
CREATE TABLE cab_comments (
    commit_id  TEXT PRIMARY KEY,
    fetched_at INTEGER NOT NULL,           -- Unix ms
    comments   TEXT NOT NULL               -- JSON
);

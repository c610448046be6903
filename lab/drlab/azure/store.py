"""The simulator's state in SQLite (`<state-dir>/azure/state.db`, WAL journal).

Tables:
* resources   every stored ARM resource (resource groups included), keyed by lower-cased id
* operations  long-running operations (pending ones complete after a restart when lab time passes)
* meta        small key/value items: the lab clock anchors, the token signing key
* blob_containers, blobs   the Blob service data of the storage accounts (drlab/azure/blob.py), keyed by
              the account's lower-cased resource id; blobs hold their bytes and properties

One connection, serialised by a re-entrant lock: the engine holds `store.lock` for a whole ARM
request and wraps it in `store.transaction()`, so every request is atomic.
"""
import json
import os
import sqlite3
import threading
import time
from contextlib import contextmanager

_SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    key        TEXT PRIMARY KEY,
    id         TEXT NOT NULL,
    type_key   TEXT NOT NULL,
    sub_key    TEXT NOT NULL,
    rg_key     TEXT,
    parent_key TEXT,
    name       TEXT NOT NULL,
    body       TEXT NOT NULL,
    created    REAL NOT NULL,
    changed    REAL NOT NULL,
    seq        INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS resources_type ON resources (type_key, sub_key, rg_key);
CREATE INDEX IF NOT EXISTS resources_parent ON resources (parent_key);
CREATE TABLE IF NOT EXISTS operations (
    id          TEXT PRIMARY KEY,
    resource_key TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    type_key    TEXT NOT NULL,
    verb        TEXT NOT NULL,
    action      TEXT,
    style       TEXT NOT NULL,
    status      TEXT NOT NULL,
    error       TEXT,
    error_status INTEGER,
    result      TEXT,
    start_lab   REAL NOT NULL,
    due_lab     REAL NOT NULL,
    end_lab     REAL,
    status_key  TEXT,
    result_key  TEXT,
    status_path TEXT,
    result_path TEXT,
    api_version TEXT,
    created     REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS operations_pending ON operations (status, due_lab);
CREATE INDEX IF NOT EXISTS operations_status_key ON operations (status_key);
CREATE INDEX IF NOT EXISTS operations_result_key ON operations (result_key);
CREATE INDEX IF NOT EXISTS operations_resource ON operations (resource_key);
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS blob_containers (
    account_key TEXT NOT NULL,
    name        TEXT NOT NULL,
    props       TEXT NOT NULL,
    PRIMARY KEY (account_key, name)
);
CREATE TABLE IF NOT EXISTS blobs (
    account_key TEXT NOT NULL,
    container   TEXT NOT NULL,
    name        TEXT NOT NULL,
    data        BLOB NOT NULL,
    props       TEXT NOT NULL,
    PRIMARY KEY (account_key, container, name)
);
"""

_OP_COLUMNS = ("id", "resource_key", "resource_id", "type_key", "verb", "action", "style", "status",
               "error", "error_status", "result", "start_lab", "due_lab", "end_lab", "status_key",
               "result_key", "status_path", "result_path", "api_version", "created")


def _prefix_clause(column):
    # substr() instead of LIKE: names may contain '_' and '%'
    return "(%s = ? OR substr(%s, 1, ?) = ?)" % (column, column)


class Store:
    def __init__(self, path):
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        self.path = path
        self.lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._depth = 0
        row = self._db.execute("SELECT MAX(seq) FROM resources").fetchone()
        self._seq = (row[0] or 0)
        #: bumped by every write of resources or meta (and by a rollback): a reader may keep what it decoded while
        #: the version is the same (the siterecovery provider's per-request reads: common.memo_read)
        self.version = 0

    def close(self):
        with self.lock:
            self._db.close()

    @contextmanager
    def transaction(self):
        with self.lock:
            outer = self._depth == 0
            if outer:
                self._db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outer:
                    self._db.execute("ROLLBACK")
                    self.version += 1
                raise
            self._depth -= 1
            if outer:
                self._db.execute("COMMIT")

    # -- meta -----------------------------------------------------------------------------------
    def meta_get(self, key, default=None):
        with self.lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def meta_set(self, key, value):
        with self.lock:
            self.version += 1
            self._db.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                             "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, json.dumps(value)))

    def meta_delete_prefix(self, prefix):
        """Delete the meta items whose key starts with prefix (a provider's own state, on reset)."""
        with self.lock:
            self.version += 1
            self._db.execute("DELETE FROM meta WHERE substr(key, 1, ?) = ?", (len(prefix), prefix))

    # -- resources ------------------------------------------------------------------------------
    @staticmethod
    def _row_to_dict(row):
        d = dict(row)
        d["body"] = json.loads(d["body"])
        return d

    def get_row(self, key):
        with self.lock:
            row = self._db.execute("SELECT * FROM resources WHERE key = ?", (key.lower(),)).fetchone()
        return self._row_to_dict(row) if row else None

    def put(self, rid, body, lab_now=None):
        """Insert or replace the resource `rid` (a ResourceId) with `body`. Returns created (bool)."""
        now = time.time() if lab_now is None else lab_now
        key = rid.key
        parent = rid.parent
        rg_key = rid.resource_group.lower() if rid.resource_group is not None else None
        data = json.dumps(body, separators=(",", ":"))
        with self.lock:
            self.version += 1
            row = self._db.execute("SELECT created, seq FROM resources WHERE key = ?", (key,)).fetchone()
            if row:
                self._db.execute("UPDATE resources SET id = ?, body = ?, changed = ? WHERE key = ?",
                                 (rid.id, data, now, key))
                return False
            self._seq += 1
            self._db.execute(
                "INSERT INTO resources (key, id, type_key, sub_key, rg_key, parent_key, name, body, created, "
                "changed, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (key, rid.id, rid.type_key, rid.subscription.lower(), rg_key,
                 parent.key if parent is not None else None, rid.name, data, now, now, self._seq))
            return True

    def subtree(self, key):
        """The resource `key` and everything under it (children, or a group's resources), deepest first."""
        key = key.lower()
        with self.lock:
            rows = self._db.execute(
                "SELECT * FROM resources WHERE " + _prefix_clause("key") + " ORDER BY length(key) DESC",
                (key, len(key) + 1, key + "/")).fetchall()
        return [self._row_to_dict(r) for r in rows]

    def delete_tree(self, key):
        """Delete the resource `key` and everything under it. Returns the deleted rows (deepest first)."""
        rows = self.subtree(key)
        key = key.lower()
        with self.lock:
            self.version += 1
            self._db.execute("DELETE FROM resources WHERE " + _prefix_clause("key"), (key, len(key) + 1, key + "/"))
        return rows

    def list(self, type_key=None, sub_key=None, rg_key=None, parent_key=None, top_level_only=False,
             exclude_type_keys=()):
        sql, args = self._select("*", type_key, sub_key, rg_key, parent_key, top_level_only, exclude_type_keys)
        with self.lock:
            rows = self._db.execute(sql, args).fetchall()
        return [self._row_to_dict(r) for r in rows]

    def list_ids(self, type_key=None, sub_key=None, rg_key=None, parent_key=None):
        """The ids `list` would answer, in its order, without reading (decoding) a body: a big list pages on these
        and reads only the page's bodies."""
        sql, args = self._select("id", type_key, sub_key, rg_key, parent_key, False, ())
        with self.lock:
            return [r[0] for r in self._db.execute(sql, args).fetchall()]

    @staticmethod
    def _select(columns, type_key, sub_key, rg_key, parent_key, top_level_only, exclude_type_keys):
        clauses, args = [], []
        if type_key is not None:
            clauses.append("type_key = ?")
            args.append(type_key.lower())
        if sub_key is not None:
            clauses.append("sub_key = ?")
            args.append(sub_key.lower())
        if rg_key is not None:
            clauses.append("rg_key = ?")
            args.append(rg_key.lower())
        if parent_key is not None:
            clauses.append("parent_key = ?")
            args.append(parent_key.lower())
        if top_level_only:
            clauses.append("parent_key IS NULL")
        for t in exclude_type_keys:
            clauses.append("type_key != ?")
            args.append(t.lower())
        sql = "SELECT %s FROM resources" % columns
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY seq"
        return sql, args

    def count_resources(self):
        with self.lock:
            return self._db.execute("SELECT COUNT(*) FROM resources").fetchone()[0]

    def wipe(self):
        with self.lock:
            self.version += 1
            self._db.execute("DELETE FROM resources")
            self._db.execute("DELETE FROM operations")
            self._db.execute("DELETE FROM blobs")
            self._db.execute("DELETE FROM blob_containers")

    # -- the Blob service's data (drlab/azure/blob.py) --------------------------------------------
    def container_get(self, account_key, name):
        """The properties of a container (dict), or None."""
        with self.lock:
            row = self._db.execute("SELECT props FROM blob_containers WHERE account_key = ? AND name = ?",
                                   (account_key, name)).fetchone()
        return json.loads(row[0]) if row else None

    def container_put(self, account_key, name, props):
        with self.lock:
            self._db.execute("INSERT INTO blob_containers (account_key, name, props) VALUES (?, ?, ?) "
                             "ON CONFLICT(account_key, name) DO UPDATE SET props = excluded.props",
                             (account_key, name, json.dumps(props)))

    def container_delete(self, account_key, name):
        """Delete a container and its blobs."""
        with self.lock:
            self._db.execute("DELETE FROM blobs WHERE account_key = ? AND container = ?", (account_key, name))
            self._db.execute("DELETE FROM blob_containers WHERE account_key = ? AND name = ?", (account_key, name))

    def containers(self, account_key, prefix=""):
        """[(name, props)] of an account's containers, in name order."""
        with self.lock:
            rows = self._db.execute("SELECT name, props FROM blob_containers WHERE account_key = ? AND "
                                    "substr(name, 1, ?) = ? ORDER BY name", (account_key, len(prefix), prefix)).fetchall()
        return [(r[0], json.loads(r[1])) for r in rows]

    def blob_get(self, account_key, container, name, data=True):
        """(bytes or None, properties) of a blob, or None."""
        column = "data" if data else "NULL"
        with self.lock:
            row = self._db.execute("SELECT %s, props FROM blobs WHERE account_key = ? AND container = ? AND name = ?"
                                   % column, (account_key, container, name)).fetchone()
        return (bytes(row[0]) if row[0] is not None else None, json.loads(row[1])) if row else None

    def blob_put(self, account_key, container, name, data, props):
        with self.lock:
            self._db.execute("INSERT INTO blobs (account_key, container, name, data, props) VALUES (?, ?, ?, ?, ?) "
                             "ON CONFLICT(account_key, container, name) DO UPDATE SET data = excluded.data, "
                             "props = excluded.props", (account_key, container, name, sqlite3.Binary(data),
                                                        json.dumps(props)))

    def blob_delete(self, account_key, container, name):
        with self.lock:
            self._db.execute("DELETE FROM blobs WHERE account_key = ? AND container = ? AND name = ?",
                             (account_key, container, name))

    def blobs(self, account_key, container, prefix="", after=None, limit=None):
        """[(name, properties)] of a container's blobs whose name starts with `prefix`, in name order, those after
        `after` only (a list's marker); at most `limit`."""
        sql = ("SELECT name, props FROM blobs WHERE account_key = ? AND container = ? AND substr(name, 1, ?) = ?")
        args = [account_key, container, len(prefix), prefix]
        if after is not None:
            sql += " AND name > ?"
            args.append(after)
        sql += " ORDER BY name"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        with self.lock:
            rows = self._db.execute(sql, args).fetchall()
        return [(r[0], json.loads(r[1])) for r in rows]

    def blob_delete_account(self, account_key):
        """Forget the Blob service data of an account (deleted, or created again under the same id)."""
        with self.lock:
            self._db.execute("DELETE FROM blobs WHERE account_key = ?", (account_key,))
            self._db.execute("DELETE FROM blob_containers WHERE account_key = ?", (account_key,))

    # -- operations -----------------------------------------------------------------------------
    @staticmethod
    def _op(row):
        if row is None:
            return None
        d = dict(row)
        for k in ("error", "result"):
            if d[k] is not None:
                d[k] = json.loads(d[k])
        return d

    def add_operation(self, op):
        vals = []
        for c in _OP_COLUMNS:
            v = op.get(c)
            if c in ("error", "result") and v is not None:
                v = json.dumps(v)
            vals.append(v)
        with self.lock:
            self._db.execute("INSERT INTO operations (%s) VALUES (%s)" % (", ".join(_OP_COLUMNS),
                                                                          ", ".join("?" * len(_OP_COLUMNS))), vals)

    def update_operation(self, op_id, **fields):
        sets, vals = [], []
        for k, v in fields.items():
            if k in ("error", "result") and v is not None:
                v = json.dumps(v)
            sets.append("%s = ?" % k)
            vals.append(v)
        with self.lock:
            self._db.execute("UPDATE operations SET %s WHERE id = ?" % ", ".join(sets), vals + [op_id])

    def get_operation(self, op_id):
        with self.lock:
            return self._op(self._db.execute("SELECT * FROM operations WHERE id = ?", (op_id,)).fetchone())

    def operation_by_path(self, path_key):
        """(operation, "status"|"result") for a polling URL path (lower case, no query), else (None, None)."""
        with self.lock:
            row = self._db.execute("SELECT * FROM operations WHERE status_key = ?", (path_key,)).fetchone()
            if row:
                return self._op(row), "status"
            row = self._db.execute("SELECT * FROM operations WHERE result_key = ?", (path_key,)).fetchone()
            if row:
                return self._op(row), "result"
        return None, None

    def due_operations(self, lab_now):
        with self.lock:
            rows = self._db.execute("SELECT * FROM operations WHERE status = 'InProgress' AND due_lab <= ? "
                                    "ORDER BY due_lab, created", (lab_now,)).fetchall()
        return [self._op(r) for r in rows]

    def pending_operations(self, resource_key=None):
        sql = "SELECT * FROM operations WHERE status = 'InProgress'"
        args = []
        if resource_key is not None:
            sql += " AND resource_key = ?"
            args.append(resource_key.lower())
        with self.lock:
            rows = self._db.execute(sql + " ORDER BY created", args).fetchall()
        return [self._op(r) for r in rows]

    def pending_in_tree(self, key):
        key = key.lower()
        with self.lock:
            rows = self._db.execute("SELECT * FROM operations WHERE status = 'InProgress' AND "
                                    + _prefix_clause("resource_key"), (key, len(key) + 1, key + "/")).fetchall()
        return [self._op(r) for r in rows]

    def prune_operations(self, before):
        """Forget finished operations created before `before` (real epoch seconds)."""
        with self.lock:
            self._db.execute("DELETE FROM operations WHERE status != 'InProgress' AND created < ?", (before,))

    def list_operations(self, limit=1000):
        with self.lock:
            rows = self._db.execute("SELECT * FROM operations ORDER BY created DESC LIMIT ?", (limit,)).fetchall()
        return [self._op(r) for r in rows]

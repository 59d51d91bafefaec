/// The memos schema. Append new migrations; never edit a shipped one.
enum Schema {
    static let migrator = Migrator([
        .init(version: 1, name: "cubes, versions, vectors, fts, audit", sql: """
            CREATE TABLE cubes(
              rowid INTEGER PRIMARY KEY,
              id TEXT NOT NULL UNIQUE,
              namespace TEXT NOT NULL,
              kind TEXT NOT NULL,
              agent TEXT,
              session TEXT,
              text TEXT,
              tags TEXT NOT NULL DEFAULT '[]',
              attributes TEXT NOT NULL DEFAULT '{}',
              importance REAL NOT NULL,
              version INTEGER NOT NULL,
              state TEXT NOT NULL,
              tier TEXT NOT NULL,
              occurred_at INTEGER,
              created_at INTEGER NOT NULL,
              updated_at INTEGER NOT NULL,
              valid_from INTEGER,
              valid_to INTEGER,
              expires_at INTEGER,
              access_count INTEGER NOT NULL DEFAULT 0,
              last_access INTEGER,
              heat REAL NOT NULL DEFAULT 0,
              source TEXT,
              derived_from TEXT NOT NULL DEFAULT '[]',
              origin TEXT NOT NULL DEFAULT 'add'
            );
            CREATE INDEX cubes_namespace ON cubes(namespace, state, id);

            CREATE TABLE cube_versions(
              cube_rowid INTEGER NOT NULL REFERENCES cubes(rowid) ON DELETE CASCADE,
              version INTEGER NOT NULL,
              text TEXT,
              tags TEXT NOT NULL,
              attributes TEXT NOT NULL,
              importance REAL NOT NULL,
              state TEXT NOT NULL,
              session TEXT,
              occurred_at INTEGER,
              expires_at INTEGER,
              valid_to INTEGER,
              operation TEXT NOT NULL,
              agent TEXT,
              peer_uid INTEGER,
              peer_pid INTEGER,
              source TEXT,
              derived_from TEXT NOT NULL DEFAULT '[]',
              at INTEGER NOT NULL,
              PRIMARY KEY(cube_rowid, version)
            ) WITHOUT ROWID;

            CREATE TABLE cube_vectors(
              cube_rowid INTEGER PRIMARY KEY REFERENCES cubes(rowid) ON DELETE CASCADE,
              embedder TEXT NOT NULL,
              dim INTEGER NOT NULL,
              vector BLOB NOT NULL
            );

            CREATE VIRTUAL TABLE cube_fts USING fts5(
              text, tokenize = 'porter unicode61 remove_diacritics 2');

            CREATE TABLE audit(
              seq INTEGER PRIMARY KEY,
              at INTEGER NOT NULL,
              namespace TEXT NOT NULL,
              cube_id TEXT NOT NULL,
              operation TEXT NOT NULL,
              version INTEGER,
              agent TEXT,
              peer_uid INTEGER,
              peer_pid INTEGER
            );
            CREATE INDEX audit_cube ON audit(cube_id);
            """),
        .init(version: 2, name: "entities, mentions, edges", sql: """
            CREATE TABLE entities(
              id INTEGER PRIMARY KEY,
              namespace TEXT NOT NULL,
              key TEXT NOT NULL,
              kind TEXT NOT NULL,
              display TEXT NOT NULL,
              UNIQUE(namespace, key, kind)
            );
            CREATE INDEX entities_key ON entities(namespace, key);

            CREATE TABLE mentions(
              entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
              cube_rowid INTEGER NOT NULL REFERENCES cubes(rowid) ON DELETE CASCADE,
              PRIMARY KEY(entity_id, cube_rowid)
            ) WITHOUT ROWID;
            CREATE INDEX mentions_cube ON mentions(cube_rowid);

            CREATE TABLE edges(
              src INTEGER NOT NULL REFERENCES cubes(rowid) ON DELETE CASCADE,
              dst INTEGER NOT NULL REFERENCES cubes(rowid) ON DELETE CASCADE,
              type TEXT NOT NULL,
              weight REAL NOT NULL,
              created_at INTEGER NOT NULL,
              PRIMARY KEY(src, type, dst)
            ) WITHOUT ROWID;
            CREATE INDEX edges_dst ON edges(dst);

            CREATE INDEX cubes_session ON cubes(namespace, session, rowid) WHERE session IS NOT NULL;
            """),
        .init(version: 3, name: "fts: session context column", sql: """
            DROP TABLE cube_fts;
            CREATE VIRTUAL TABLE cube_fts USING fts5(
              text, context, tokenize = 'porter unicode61 remove_diacritics 2');
            INSERT INTO cube_fts(rowid, text, context)
              SELECT c.rowid, c.text,
                coalesce((SELECT p.text FROM cubes p
                          WHERE c.session IS NOT NULL AND p.namespace = c.namespace AND p.session = c.session
                            AND p.rowid < c.rowid AND p.state = 'active'
                          ORDER BY p.rowid DESC LIMIT 1), '')
              FROM cubes c WHERE c.state = 'active' AND c.text IS NOT NULL;
            """),
        .init(version: 4, name: "keyword search moves to memory: drop fts", sql: """
            DROP TABLE cube_fts;
            """),
        .init(version: 5, name: "activation and parameter payloads: content-addressed blobs", sql: """
            ALTER TABLE cubes ADD COLUMN content TEXT;
            ALTER TABLE cubes ADD COLUMN blob TEXT;
            CREATE INDEX cubes_blob ON cubes(blob) WHERE blob IS NOT NULL;
            """),
        .init(version: 6, name: "scheduler: pinned memories and the tier event log", sql: """
            ALTER TABLE cubes ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
            CREATE TABLE scheduler_events(
              id INTEGER PRIMARY KEY,
              at INTEGER NOT NULL,
              namespace TEXT NOT NULL,
              cube_id TEXT NOT NULL,
              from_tier TEXT NOT NULL,
              to_tier TEXT NOT NULL,
              reason TEXT NOT NULL
            );
            CREATE INDEX scheduler_events_at ON scheduler_events(at);
            """),
        .init(version: 7, name: "consolidation: stored runs, namespace marks, edges by run", sql: """
            CREATE TABLE consolidation_runs(
              run_id TEXT PRIMARY KEY,
              namespace TEXT,
              state TEXT NOT NULL,
              dry_run INTEGER NOT NULL,
              started_at INTEGER NOT NULL,
              finished_at INTEGER,
              report TEXT NOT NULL
            );
            CREATE INDEX consolidation_runs_state ON consolidation_runs(state);
            CREATE TABLE consolidation_marks(
              namespace TEXT PRIMARY KEY,
              run_id TEXT NOT NULL,
              at INTEGER NOT NULL
            );
            ALTER TABLE edges ADD COLUMN run_id TEXT;
            CREATE INDEX edges_run ON edges(run_id) WHERE run_id IS NOT NULL;
            CREATE INDEX cube_versions_at ON cube_versions(at);
            """),
        .init(version: 8, name: "namespaces: owners and shares; audit detail", sql: """
            CREATE TABLE namespace_owners(
              namespace TEXT PRIMARY KEY,
              owner_uid INTEGER NOT NULL,
              created_at INTEGER NOT NULL
            );
            CREATE TABLE namespace_shares(
              namespace TEXT NOT NULL,
              uid INTEGER NOT NULL,
              access TEXT NOT NULL,
              granted_by INTEGER,
              granted_at INTEGER NOT NULL,
              PRIMARY KEY(namespace, uid)
            );
            ALTER TABLE audit ADD COLUMN detail TEXT;
            """),
        .init(version: 9, name: "cubes: damaged (a payload file is missing)", sql: """
            ALTER TABLE cubes ADD COLUMN damaged TEXT;
            """),
        .init(version: 10, name: "cubes: speaker (who said it, for conversation turns)", sql: """
            ALTER TABLE cubes ADD COLUMN speaker TEXT;
            CREATE INDEX cubes_speaker ON cubes(namespace, speaker) WHERE speaker IS NOT NULL;
            """),
    ])
}

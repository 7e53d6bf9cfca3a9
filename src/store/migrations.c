/* Versioned schema migrations, applied in order at open inside one transaction
 * each. Never edit a released migration: add a new one. SQL here is the portable
 * subset (TEXT, INTEGER, REAL, BLOB; no backend-specific functions). */
#include "store/store_int.h"

#include "core/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const fg_migration fg_store_migrations[] = {
    {1, "usage records",
     "CREATE TABLE usage_records (\n"
     "  id TEXT PRIMARY KEY,\n"
     "  created_ms INTEGER NOT NULL,\n"
     "  route TEXT NOT NULL,\n"
     "  account_id TEXT,\n"
     "  key_id TEXT,\n"
     "  model TEXT,\n"
     "  deployment TEXT,\n"
     "  provider TEXT,\n"
     "  status INTEGER NOT NULL,\n"
     "  outcome TEXT NOT NULL,\n"
     "  input_tokens INTEGER NOT NULL DEFAULT 0,\n"
     "  output_tokens INTEGER NOT NULL DEFAULT 0,\n"
     "  ttft_ms REAL,\n"
     "  total_ms REAL NOT NULL,\n"
     "  upstream_ms REAL NOT NULL DEFAULT 0,\n"
     "  cost REAL NOT NULL DEFAULT 0\n"
     ");\n"
     "CREATE INDEX usage_records_account ON usage_records (account_id, created_ms)"},
    {2, "step functions",
     "CREATE TABLE sfn_state_machines (\n"
     "  account_id TEXT NOT NULL,\n"
     "  arn TEXT NOT NULL,\n"
     "  name TEXT NOT NULL,\n"
     "  type TEXT NOT NULL,\n"
     "  definition TEXT NOT NULL,\n"
     "  role_arn TEXT NOT NULL,\n"
     "  logging TEXT,\n"
     "  revision_id TEXT NOT NULL,\n"
     "  created_ms INTEGER NOT NULL,\n"
     "  updated_ms INTEGER NOT NULL,\n"
     "  PRIMARY KEY (account_id, arn)\n"
     ");\n"
     "CREATE TABLE sfn_executions (\n"
     "  account_id TEXT NOT NULL,\n"
     "  arn TEXT NOT NULL,\n"
     "  exec_id INTEGER NOT NULL,\n"
     "  machine_arn TEXT NOT NULL,\n"
     "  name TEXT NOT NULL,\n"
     "  type TEXT NOT NULL,\n"
     "  status TEXT NOT NULL,\n"
     "  definition TEXT NOT NULL,\n"
     "  role_arn TEXT NOT NULL,\n"
     "  input TEXT NOT NULL,\n"
     "  output TEXT,\n"
     "  error TEXT,\n"
     "  cause TEXT,\n"
     "  start_ms INTEGER NOT NULL,\n"
     "  stop_ms INTEGER,\n"
     "  parent_token TEXT,\n"
     "  parent_mode INTEGER NOT NULL DEFAULT 0,\n"
     "  events INTEGER NOT NULL DEFAULT 0,\n"
     "  PRIMARY KEY (account_id, arn)\n"
     ");\n"
     "CREATE INDEX sfn_executions_machine ON sfn_executions (account_id, machine_arn, start_ms);\n"
     "CREATE INDEX sfn_executions_status ON sfn_executions (status);\n"
     "CREATE INDEX sfn_executions_parent ON sfn_executions (parent_token);\n"
     "CREATE UNIQUE INDEX sfn_executions_exec_id ON sfn_executions (exec_id);\n"
     "CREATE TABLE sfn_positions (\n"
     "  exec_id INTEGER PRIMARY KEY,\n"
     "  snapshot TEXT,\n"
     "  wake_ms INTEGER\n"
     ");\n"
     "CREATE TABLE sfn_events (\n"
     "  exec_id INTEGER NOT NULL,\n"
     "  id INTEGER NOT NULL,\n"
     "  body TEXT NOT NULL,\n"
     "  PRIMARY KEY (exec_id, id)\n"
     ");\n"
     "CREATE TABLE sfn_activities (\n"
     "  account_id TEXT NOT NULL,\n"
     "  arn TEXT NOT NULL,\n"
     "  name TEXT NOT NULL,\n"
     "  created_ms INTEGER NOT NULL,\n"
     "  PRIMARY KEY (account_id, arn)\n"
     ")"},
    {5, "chat history and the question-answer cache",
     "CREATE TABLE chat_messages (\n"
     "  account_id TEXT NOT NULL,\n"
     "  chat_id TEXT NOT NULL,\n"
     "  seq INTEGER NOT NULL,\n"
     "  role TEXT NOT NULL,\n"
     "  content TEXT NOT NULL,\n"
     "  model TEXT,\n"
     "  input_tokens INTEGER NOT NULL DEFAULT 0,\n"
     "  output_tokens INTEGER NOT NULL DEFAULT 0,\n"
     "  cached INTEGER NOT NULL DEFAULT 0,\n"
     "  created_ms INTEGER NOT NULL,\n"
     "  PRIMARY KEY (account_id, chat_id, seq)\n"
     ");\n"
     "CREATE INDEX chat_messages_recent ON chat_messages (account_id, created_ms);\n"
     "CREATE TABLE cache_entries (\n"
     "  account_id TEXT NOT NULL,\n"
     "  mode TEXT NOT NULL,\n"
     "  namespace TEXT NOT NULL,\n"
     "  cache_key TEXT NOT NULL,\n"
     "  response TEXT NOT NULL,\n"
     "  model TEXT,\n"
     "  gen_ms REAL NOT NULL DEFAULT 0,\n"
     "  embedding BLOB,\n"
     "  created_ms INTEGER NOT NULL,\n"
     "  expires_ms INTEGER NOT NULL DEFAULT 0,\n"
     "  PRIMARY KEY (account_id, mode, namespace, cache_key)\n"
     ")"},
    {12, "step functions versions and aliases",
     "CREATE TABLE sfn_versions (\n"
     "  account_id TEXT NOT NULL,\n"
     "  machine_arn TEXT NOT NULL,\n"
     "  version INTEGER NOT NULL,\n"
     "  definition TEXT NOT NULL,\n"
     "  role_arn TEXT NOT NULL,\n"
     "  description TEXT,\n"
     "  revision_id TEXT NOT NULL,\n"
     "  created_ms INTEGER NOT NULL,\n"
     "  PRIMARY KEY (account_id, machine_arn, version)\n"
     ");\n"
     "CREATE TABLE sfn_aliases (\n"
     "  account_id TEXT NOT NULL,\n"
     "  machine_arn TEXT NOT NULL,\n"
     "  name TEXT NOT NULL,\n"
     "  description TEXT,\n"
     "  routing TEXT NOT NULL,\n"
     "  created_ms INTEGER NOT NULL,\n"
     "  updated_ms INTEGER NOT NULL,\n"
     "  PRIMARY KEY (account_id, machine_arn, name)\n"
     ");\n"
     "ALTER TABLE sfn_executions ADD COLUMN version_arn TEXT;\n"
     "ALTER TABLE sfn_executions ADD COLUMN alias_arn TEXT"},
    {0, NULL, NULL},
};

static int current_version(fg_store *s, int *version, fg_errbuf *eb)
{
    int rc = s->ops->exec(s,
                          "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER "
                          "PRIMARY KEY, name TEXT NOT NULL, applied_ms INTEGER NOT NULL)",
                          NULL, 0, NULL, eb);
    if (rc)
        return rc;
    json_t *rows = NULL;
    rc = fg_store_query_json(s, "SELECT MAX(version) AS v FROM schema_migrations", NULL, 0, &rows, eb);
    if (rc)
        return rc;
    *version = (int)json_integer_value(json_object_get(json_array_get(rows, 0), "v"));
    json_decref(rows);
    return FG_OK;
}

static int apply(fg_store *s, const fg_migration *m, fg_errbuf *eb)
{
    int rc = fg_store_begin(s, eb);
    if (rc)
        return rc;
    char *sql = strdup(m->sql);
    char *save = NULL;
    for (char *stmt = strtok_r(sql, ";", &save); stmt && !rc; stmt = strtok_r(NULL, ";", &save))
        if (strspn(stmt, " \n\t") != strlen(stmt))
            rc = s->ops->exec(s, stmt, NULL, 0, NULL, eb);
    free(sql);
    if (!rc) {
        fg_sval p[3] = {FG_SINT(m->version), FG_STEXT(m->name), FG_SINT(fg_clock_wall_ms())};
        rc = s->ops->exec(s, "INSERT INTO schema_migrations (version, name, applied_ms) "
                             "VALUES ($1, $2, $3)", p, 3, NULL, eb);
    }
    if (rc) {
        fg_store_rollback(s);
        return rc;
    }
    return fg_store_commit(s, eb);
}

int fg_store_migrate(fg_store *s, fg_errbuf *eb)
{
    int version = 0;
    int rc = current_version(s, &version, eb);
    if (rc)
        return rc;
    for (const fg_migration *m = fg_store_migrations; !rc && m->version; m++)
        if (m->version > version) {
            rc = apply(s, m, eb);
            if (!rc)
                version = m->version;
        }
    s->schema_version = version;
    return rc;
}

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
    {3, "accounts, users, workflows, keys and limits",
     "CREATE TABLE accounts (\n"
     "  id TEXT PRIMARY KEY,\n"
     "  name TEXT NOT NULL,\n"
     "  description TEXT NOT NULL DEFAULT '',\n"
     "  limits TEXT NOT NULL DEFAULT '{}',\n"
     "  created_ms INTEGER NOT NULL\n"
     ");\n"
     "CREATE TABLE users (\n"
     "  id TEXT PRIMARY KEY,\n"
     "  login TEXT NOT NULL UNIQUE,\n"
     "  password_hash TEXT NOT NULL,\n"
     "  role TEXT NOT NULL,\n"
     "  account_id TEXT,\n"
     "  failed_logins INTEGER NOT NULL DEFAULT 0,\n"
     "  locked_until_ms INTEGER NOT NULL DEFAULT 0,\n"
     "  created_ms INTEGER NOT NULL\n"
     ");\n"
     "CREATE TABLE inference_endpoints (\n"
     "  account_id TEXT NOT NULL,\n"
     "  id TEXT NOT NULL,\n"
     "  type TEXT NOT NULL DEFAULT '',\n"
     "  url TEXT NOT NULL DEFAULT '',\n"
     "  description TEXT NOT NULL DEFAULT '',\n"
     "  PRIMARY KEY (account_id, id)\n"
     ");\n"
     "CREATE TABLE workflows (\n"
     "  account_id TEXT NOT NULL,\n"
     "  id TEXT NOT NULL,\n"
     "  name TEXT NOT NULL,\n"
     "  description TEXT NOT NULL DEFAULT '',\n"
     "  type TEXT NOT NULL DEFAULT 'stepfunctions',\n"
     "  arn TEXT NOT NULL DEFAULT '',\n"
     "  definition TEXT,\n"
     "  assistant_params TEXT NOT NULL DEFAULT '{}',\n"
     "  PRIMARY KEY (account_id, id)\n"
     ");\n"
     "CREATE TABLE workflow_prompts (\n"
     "  account_id TEXT NOT NULL,\n"
     "  workflow_id TEXT NOT NULL,\n"
     "  id TEXT NOT NULL,\n"
     "  type TEXT NOT NULL DEFAULT 'text',\n"
     "  role TEXT NOT NULL DEFAULT 'user',\n"
     "  content TEXT NOT NULL DEFAULT '',\n"
     "  description TEXT NOT NULL DEFAULT '',\n"
     "  PRIMARY KEY (account_id, workflow_id, id)\n"
     ");\n"
     "CREATE TABLE signing_keys (\n"
     "  kid TEXT PRIMARY KEY,\n"
     "  alg TEXT NOT NULL,\n"
     "  private_pem TEXT NOT NULL,\n"
     "  created_ms INTEGER NOT NULL\n"
     ");\n"
     "CREATE TABLE refresh_tokens (\n"
     "  id TEXT PRIMARY KEY,\n"
     "  user_id TEXT NOT NULL,\n"
     "  secret_hash TEXT NOT NULL,\n"
     "  expires_ms INTEGER NOT NULL,\n"
     "  used INTEGER NOT NULL DEFAULT 0,\n"
     "  created_ms INTEGER NOT NULL\n"
     ");\n"
     "CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);\n"
     "CREATE TABLE api_keys (\n"
     "  id TEXT PRIMARY KEY,\n"
     "  account_id TEXT NOT NULL,\n"
     "  name TEXT NOT NULL DEFAULT '',\n"
     "  secret_hash TEXT NOT NULL,\n"
     "  role TEXT NOT NULL DEFAULT 'user',\n"
     "  scopes TEXT NOT NULL DEFAULT '',\n"
     "  limits TEXT NOT NULL DEFAULT '{}',\n"
     "  created_ms INTEGER NOT NULL,\n"
     "  expires_ms INTEGER NOT NULL DEFAULT 0,\n"
     "  revoked_ms INTEGER NOT NULL DEFAULT 0,\n"
     "  last_used_ms INTEGER NOT NULL DEFAULT 0\n"
     ");\n"
     "CREATE INDEX api_keys_account ON api_keys (account_id);\n"
     "CREATE TABLE limit_counters (\n"
     "  scope TEXT NOT NULL,\n"
     "  metric TEXT NOT NULL,\n"
     "  window_start INTEGER NOT NULL,\n"
     "  value REAL NOT NULL DEFAULT 0,\n"
     "  PRIMARY KEY (scope, metric, window_start)\n"
     ")"},
    {4, "knowledge bases",
     "CREATE TABLE kb_bases (\n"
     "  id TEXT PRIMARY KEY,\n"
     "  account_id TEXT NOT NULL,\n"
     "  name TEXT NOT NULL,\n"
     "  description TEXT NOT NULL DEFAULT '',\n"
     "  embedding_model TEXT NOT NULL DEFAULT 'none',\n"
     "  settings TEXT NOT NULL DEFAULT '{}',\n"
     "  created_ms INTEGER NOT NULL,\n"
     "  updated_ms INTEGER NOT NULL\n"
     ");\n"
     "CREATE UNIQUE INDEX kb_bases_name ON kb_bases (account_id, name);\n"
     "CREATE TABLE kb_documents (\n"
     "  id TEXT PRIMARY KEY,\n"
     "  base_id TEXT NOT NULL,\n"
     "  source TEXT NOT NULL,\n"
     "  source_type TEXT NOT NULL,\n"
     "  title TEXT,\n"
     "  content_sha256 TEXT,\n"
     "  etag TEXT,\n"
     "  last_modified TEXT,\n"
     "  status TEXT NOT NULL,\n"
     "  error TEXT,\n"
     "  metadata TEXT NOT NULL DEFAULT '{}',\n"
     "  chunks INTEGER NOT NULL DEFAULT 0,\n"
     "  bytes INTEGER NOT NULL DEFAULT 0,\n"
     "  created_ms INTEGER NOT NULL,\n"
     "  updated_ms INTEGER NOT NULL\n"
     ");\n"
     "CREATE UNIQUE INDEX kb_documents_source ON kb_documents (base_id, source);\n"
     "CREATE TABLE kb_chunks (\n"
     "  id TEXT PRIMARY KEY,\n"
     "  base_id TEXT NOT NULL,\n"
     "  document_id TEXT NOT NULL,\n"
     "  position INTEGER NOT NULL,\n"
     "  text TEXT NOT NULL,\n"
     "  heading_path TEXT NOT NULL DEFAULT '',\n"
     "  metadata TEXT NOT NULL DEFAULT '{}'\n"
     ");\n"
     "CREATE INDEX kb_chunks_base ON kb_chunks (base_id, document_id, position);\n"
     "CREATE INDEX kb_chunks_document ON kb_chunks (document_id);\n"
     "CREATE TABLE kb_embeddings (\n"
     "  chunk_id TEXT PRIMARY KEY,\n"
     "  base_id TEXT NOT NULL,\n"
     "  model TEXT NOT NULL,\n"
     "  dim INTEGER NOT NULL,\n"
     "  vector BLOB NOT NULL\n"
     ");\n"
     "CREATE INDEX kb_embeddings_base ON kb_embeddings (base_id);\n"
     "CREATE TABLE kb_jobs (\n"
     "  id TEXT PRIMARY KEY,\n"
     "  base_id TEXT NOT NULL,\n"
     "  account_id TEXT NOT NULL,\n"
     "  status TEXT NOT NULL,\n"
     "  done INTEGER NOT NULL DEFAULT 0,\n"
     "  total INTEGER NOT NULL DEFAULT 0,\n"
     "  failed INTEGER NOT NULL DEFAULT 0,\n"
     "  errors TEXT NOT NULL DEFAULT '[]',\n"
     "  created_ms INTEGER NOT NULL,\n"
     "  finished_ms INTEGER\n"
     ");\n"
     "CREATE INDEX kb_jobs_base ON kb_jobs (base_id, created_ms);\n"
     "CREATE TABLE kb_job_sources (\n"
     "  job_id TEXT PRIMARY KEY,\n"
     "  sources TEXT NOT NULL\n"
     ");\n"
     "CREATE TABLE kb_rag_sessions (\n"
     "  id TEXT PRIMARY KEY,\n"
     "  account_id TEXT NOT NULL,\n"
     "  messages TEXT NOT NULL,\n"
     "  updated_ms INTEGER NOT NULL\n"
     ");\n"
     "CREATE INDEX kb_rag_sessions_updated ON kb_rag_sessions (updated_ms)"},
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
    {13, "step functions positions written as deltas",
     "ALTER TABLE sfn_positions ADD COLUMN delta TEXT"},
    {14, "step functions position deltas in a narrow table",
     "CREATE TABLE sfn_deltas (\n"
     "  exec_id INTEGER PRIMARY KEY,\n"
     "  delta TEXT NOT NULL,\n"
     "  wake_ms INTEGER\n"
     ")"},
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

/* The knowledge-base service commands under `flowgate kb` (dispatched by
 * src/kb/cmd_kb.c): create, list, ingest, search, documents, delete, all on
 * the data folder's store. */
#ifndef FG_KNOWLEDGE_COMMANDS_H
#define FG_KNOWLEDGE_COMMANDS_H

int fg_knowledge_cmd_create(int argc, char **argv);
int fg_knowledge_cmd_list(int argc, char **argv);
int fg_knowledge_cmd_ingest(int argc, char **argv);
int fg_knowledge_cmd_search(int argc, char **argv);
int fg_knowledge_cmd_documents(int argc, char **argv);
int fg_knowledge_cmd_delete(int argc, char **argv);

#endif

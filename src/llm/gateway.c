/* Building the gateway from the configuration: providers, models with their
 * deployments, prices and router settings; per-loop HTTP clients; routes. */
#include "llm/aws_sign.h"
#include "llm/llm_int.h"

#include "auth/limits.h"
#include "wire/aws_credentials.h"

#include "core/json.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const fg_llm_provider_ops *const provider_types[] = {
    &fg_llm_provider_mock,
    &fg_llm_provider_openai,
    &fg_llm_provider_anthropic,
    &fg_llm_provider_bedrock,
    &fg_llm_provider_sagemaker,
    &fg_llm_provider_local,
};

static const fg_llm_provider_ops *find_ops(const char *type)
{
    for (size_t i = 0; i < sizeof provider_types / sizeof provider_types[0]; i++)
        if (strcmp(provider_types[i]->type, type) == 0)
            return provider_types[i];
    return NULL;
}

static int load_providers(fg_llm *llm, const json_t *list, fg_errbuf *eb)
{
    llm->nproviders = json_array_size(list);
    llm->providers = calloc(llm->nproviders ? llm->nproviders : 1, sizeof *llm->providers);
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p) {
        fg_llm_provider *pr = &llm->providers[i];
        const char *type = fg_json_str(p, "type", "");
        pr->ops = find_ops(type);
        pr->name = strdup(fg_json_str(p, "name", ""));
        pr->conf = json_incref((json_t *)p);
        if (!pr->ops)
            return fg_failf(eb, FG_EUNSUPPORTED,
                            "provider '%s': type '%s' is not available in this build yet "
                            "(available: mock, openai, anthropic, bedrock, sagemaker, local)", pr->name, type);
        pr->base_url = fg_json_str(p, "base_url", NULL);
        pr->api_key = fg_json_str(p, "api_key", NULL);
        pr->timeout_ms = (long)fg_json_int(p, "timeout_ms", 600000);
        pr->connect_timeout_ms = (long)fg_json_int(p, "connect_timeout_ms", 10000);
        if (!strcmp(type, "bedrock") || !strcmp(type, "sagemaker")) {
            int rc = fg__aws_provider_init(pr, eb);
            if (rc)
                return rc;
        }
        if (!strcmp(type, "local")) {
            int rc = fg__local_provider_init(pr, eb);
            if (rc)
                return rc;
        }
    }
    return FG_OK;
}

static fg_llm_provider *find_provider(fg_llm *llm, const char *name)
{
    for (size_t i = 0; i < llm->nproviders; i++)
        if (strcmp(llm->providers[i].name, name) == 0)
            return &llm->providers[i];
    return NULL;
}

static int load_models(fg_llm *llm, const json_t *list, fg_errbuf *eb)
{
    llm->nmodels = json_array_size(list);
    llm->models = calloc(llm->nmodels ? llm->nmodels : 1, sizeof *llm->models);
    size_t i;
    json_t *m;
    json_array_foreach(list, i, m) {
        fg_llm_model *mo = &llm->models[i];
        mo->name = strdup(fg_json_str(m, "name", ""));
        const json_t *deps = json_object_get(m, "deployments");
        mo->ndeployments = json_array_size(deps);
        mo->deployments = calloc(mo->ndeployments ? mo->ndeployments : 1, sizeof *mo->deployments);
        size_t j;
        json_t *d;
        json_array_foreach(deps, j, d) {
            fg_llm_deployment *de = &mo->deployments[j];
            de->provider = find_provider(llm, fg_json_str(d, "provider", ""));
            if (!de->provider)
                return fg_failf(eb, FG_EINVAL, "model '%s': unknown provider", mo->name);
            /* No model id and a catch-all alias: send the name the client asked for. */
            const char *id = fg_json_str(d, "model", NULL);
            de->model = id ? strdup(id) : strcmp(mo->name, "*") == 0 ? NULL : strdup(mo->name);
            de->weight = fg_json_num(d, "weight", 1);
            de->ttft_timeout_ms = (long)fg_json_int(d, "ttft_timeout_ms", 0);
            de->timeout_ms = (long)fg_json_int(d, "timeout_ms", 0);
            snprintf(de->label, sizeof de->label, "%s/%s", de->provider->name, de->model ? de->model : "*");
        }
    }
    return FG_OK;
}

static void load_prices(fg_llm *llm, const json_t *list)
{
    llm->nprices = json_array_size(list);
    llm->prices = calloc(llm->nprices ? llm->nprices : 1, sizeof *llm->prices);
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p) {
        llm->prices[i].model = strdup(fg_json_str(p, "model", ""));
        llm->prices[i].input_per_mtok = fg_json_num(p, "input_per_mtok", 0);
        llm->prices[i].output_per_mtok = fg_json_num(p, "output_per_mtok", 0);
    }
}

/* With no provider configured, flowgate runs the first model file found in
 * DATA/models with the local provider, under its own name and as the
 * catch-all ("*"). With none there, it starts without models. */
static int embedded_default(fg_llm *llm, const fg_config *cfg, fg_errbuf *eb)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/models", fg_config_str(cfg, "data_dir"));
    char *path = fg__local_find_model(dir);
    if (!path) {
        fg_info("no model provider configured and no model file in %s: model requests will say how to "
                "add one (flowgate model pull URL, or providers in the configuration)", dir);
        return FG_OK;
    }
    json_t *conf = json_pack("{s:s,s:s,s:s}", "name", "local", "type", "local", "model_path", path);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)(strcspn(base, ".")), base);
    json_t *models = json_pack("[{s:s,s:[{s:s}]},{s:s,s:[{s:s}]}]", "name", name, "deployments", "provider",
                               "local", "name", "*", "deployments", "provider", "local");
    free(path);
    json_t *providers = json_pack("[o]", conf);
    int rc = load_providers(llm, providers, eb);
    if (!rc)
        rc = load_models(llm, models, eb);
    json_decref(providers);
    json_decref(models);
    return rc;
}

int fg_llm_create(const fg_config *cfg, fg_store *store, fg_llm **out, fg_errbuf *eb)
{
    fg_llm *llm = calloc(1, sizeof *llm);
    if (!llm)
        return fg_failf(eb, FG_ENOMEM, "out of memory");
    llm->store = store;
    llm->retries = (int)fg_config_int(cfg, "router.retries");
    llm->backoff_ms = (long)fg_config_int(cfg, "router.backoff_ms");
    llm->max_backoff_ms = (long)fg_config_int(cfg, "router.max_backoff_ms");
    llm->cooldown_ms = (long)fg_config_int(cfg, "router.cooldown_ms");
    llm->cooldown_failures = (int)fg_config_int(cfg, "router.cooldown_failures");
    int rc;
    if (json_array_size(fg_config_get(cfg, "providers")) == 0) {
        rc = embedded_default(llm, cfg, eb);
    } else {
        rc = load_providers(llm, fg_config_get(cfg, "providers"), eb);
        if (!rc)
            rc = load_models(llm, fg_config_get(cfg, "models"), eb);
    }
    load_prices(llm, fg_config_get(cfg, "prices"));
    if (rc) {
        fg_llm_free(llm);
        return rc;
    }
    *out = llm;
    return FG_OK;
}

void fg_llm_free(fg_llm *llm)
{
    if (!llm)
        return;
    fg__llm_usage_flush();
    for (size_t i = 0; i < llm->nproviders; i++) {
        fg__local_provider_free(&llm->providers[i]);
        if (llm->providers[i].aws) {
            fg_aws_credentials_free(llm->providers[i].aws);
            free(llm->providers[i].aws);
        }
        free(llm->providers[i].name);
        json_decref(llm->providers[i].conf);
    }
    for (size_t i = 0; i < llm->nmodels; i++) {
        for (size_t j = 0; j < llm->models[i].ndeployments; j++)
            free(llm->models[i].deployments[j].model); /* NULL for catch-all deployments */
        free(llm->models[i].deployments);
        free(llm->models[i].name);
    }
    for (size_t i = 0; i < llm->nprices; i++)
        free(llm->prices[i].model);
    free(llm->providers);
    free(llm->models);
    free(llm->prices);
    free(llm);
}

void fg_llm_worker_start(fg_llm *llm, fg_http_worker *w)
{
    fg_http_worker_set_data(w, "llm.client", fg_http_client_create(fg_http_worker_loop(w)));
}

void fg_llm_worker_stop(fg_llm *llm, fg_http_worker *w)
{
    fg_http_client_destroy(fg_http_worker_data(w, "llm.client"));
    fg_http_worker_set_data(w, "llm.client", NULL);
}

void fg_llm_register_routes(fg_llm *llm, fg_http_router *r)
{
    fg__llm_surface_openai_register(llm, r);
    fg__llm_surface_anthropic_register(llm, r);
    fg__llm_surface_bedrock_register(llm, r);
    fg__llm_surface_embeddings_register(llm, r);
}

void fg_llm_set_auth(fg_llm *llm, fg_auth *auth)
{
    llm->auth = auth;
}

int fg_llm_authorize(fg_llm *llm, fg_http_req *req, fg_principal *who)
{
    memset(who, 0, sizeof *who);
    if (!llm->auth)
        return 0;
    if (fg_auth_request(llm->auth, req, FG_ACCESS_USER, who))
        return -1;
    return fg_auth_limits_admit(llm->auth, req, who);
}

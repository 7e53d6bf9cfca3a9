/* Signing an upstream request to an AWS service (Bedrock, SageMaker) with the
 * provider's credentials, resolved once when the gateway starts. */
#ifndef FG_LLM_AWS_SIGN_H
#define FG_LLM_AWS_SIGN_H

#include "llm/llm_int.h"

typedef struct fg_aws_signed {
    char lines[6][2048]; /* "Name: value" header lines to send */
    int n;
} fg_aws_signed;

/* Loads credentials and region for an AWS provider (config, then environment,
 * then the shared files); errors name the provider. */
int fg__aws_provider_init(fg_llm_provider *p, fg_errbuf *eb);
/* The provider's endpoint base: base_url, or https://HOST_PREFIX.REGION.amazonaws.com. */
void fg__aws_endpoint(const fg_llm_provider *p, const char *host_prefix, char *out, size_t n);
/* Signs a POST of body to url for service; fills the header lines to add. */
int fg__aws_sign(const fg_llm_provider *p, const char *service, const char *url, const char *body,
                 size_t len, fg_aws_signed *out, fg_errbuf *eb);
/* Appends the path segment s percent-encoded (model ids contain ':'). */
void fg__aws_path_segment(char *out, size_t n, const char *s);

#endif

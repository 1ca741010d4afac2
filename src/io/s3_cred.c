/* S3 settings: credentials in the order AWS tools use them, region,
 * endpoint, and tuning knobs.
 *
 * Credentials: io_config fields; with an explicit --profile, that profile;
 * environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN);
 * the [AWS] section of the --config file (the original job's dl.cfg); the
 * shared files (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, then
 * AWS_CONFIG_FILE or ~/.aws/config) for AWS_PROFILE or "default"; the
 * instance metadata service (IMDSv2, endpoint AWS_EC2_METADATA_SERVICE_ENDPOINT,
 * off with AWS_EC2_METADATA_DISABLED=true). Secrets are copied into the
 * settings and never formatted into a message. */
#include <curl/curl.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io/s3_internal.h"

static const char *env(const char *name) {
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static void set_str(char **dst, const char *v, size_t n) {
    free(*dst);
    /* values may be quoted in dl.cfg files: AWS_ACCESS_KEY_ID='AKIA...' */
    if (n >= 2 && (v[0] == '\'' || v[0] == '"') && v[n - 1] == v[0]) v++, n -= 2;
    *dst = sl_strndup(v, n);
}

typedef struct ini_ctx {
    const char *section;
    bool dlcfg, found;
    s3_settings *out;
} ini_ctx;

static int on_ini(void *ud, const char *section, const char *name, const char *value) {
    ini_ctx *c = ud;
    if (strcasecmp(section, c->section) != 0) return 1;
    c->found = true;
    size_t n = strlen(value);
    if (!strcasecmp(name, "aws_access_key_id"))
        set_str(&c->out->akid, value, n);
    else if (!strcasecmp(name, "aws_secret_access_key"))
        set_str(&c->out->secret, value, n);
    else if (!strcasecmp(name, "aws_session_token"))
        set_str(&c->out->token, value, n);
    else if (!strcasecmp(name, "region") || (c->dlcfg && (!strcasecmp(name, "aws_region") ||
                                                          !strcasecmp(name, "aws_default_region"))))
        set_str(&c->out->region, value, n);
    else if (!c->dlcfg && !strcasecmp(name, "endpoint_url"))
        set_str(&c->out->endpoint, value, n);
    return 1;
}

int s3_ini_section(const char *path, const char *section, bool dlcfg, s3_settings *out) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    ini_ctx c = {.section = section, .dlcfg = dlcfg, .out = out};
    ini_parse_file(f, on_ini, &c);
    fclose(f);
    return c.found ? 1 : 0;
}

static void clear_creds(s3_settings *s) {
    free(s->akid), free(s->secret), free(s->token);
    s->akid = s->secret = s->token = NULL;
}

static bool have_creds(const s3_settings *s) {
    return s->akid && *s->akid && s->secret && *s->secret;
}

static char *home_file(const char *envname, const char *rel) {
    const char *v = env(envname);
    if (v) return sl_strdup(v);
    const char *h = env("HOME");
    return h ? sl_sprintf("%s/%s", h, rel) : NULL;
}

/* Reads profile `prof` from the shared credentials file, then the config
 * file ([profile NAME], or [default]). Region/endpoint land in tmp. */
static int shared_profile(const char *prof, s3_settings *tmp) {
    int found = 0;
    char *cred = home_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
    char *conf = home_file("AWS_CONFIG_FILE", ".aws/config");
    if (cred && s3_ini_section(cred, prof, false, tmp) == 1) found = 1;
    char *sec = strcmp(prof, "default") ? sl_sprintf("profile %s", prof) : sl_strdup("default");
    if (conf) {
        s3_settings c2 = {0};
        if (s3_ini_section(conf, sec, false, &c2) == 1) {
            found = 1;
            if (!have_creds(tmp) && have_creds(&c2)) {
                clear_creds(tmp);
                tmp->akid = c2.akid, tmp->secret = c2.secret, tmp->token = c2.token;
                c2.akid = c2.secret = c2.token = NULL;
            }
            if (c2.region && !tmp->region) tmp->region = c2.region, c2.region = NULL;
            if (c2.endpoint && !tmp->endpoint) tmp->endpoint = c2.endpoint, c2.endpoint = NULL;
        }
        s3_settings_free(&c2);
    }
    free(sec), free(cred), free(conf);
    return found;
}

/* ---- IMDSv2 ---------------------------------------------------------------- */
static size_t to_buf(char *p, size_t sz, size_t n, void *ud) {
    sl_buf_append(ud, p, sz * n);
    return sz * n;
}

static int imds_call(const char *url, const char *method, const char *hdr, sl_buf *out) {
    CURL *e = curl_easy_init();
    if (!e) return -1;
    struct curl_slist *h = curl_slist_append(NULL, hdr);
    out->len = 0;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    if (!strcmp(method, "PUT")) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, to_buf);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 2000L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
    long status = 0;
    CURLcode rc = curl_easy_perform(e);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(e);
    sl_buf_putc(out, 0);
    out->len--;
    return rc == CURLE_OK && status == 200 ? 0 : -1;
}

/* Finds "name" : "value" in a flat JSON object (the IMDS credential
 * document); no escapes occur in these values. */
static char *json_field(const char *doc, const char *name) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\"", name);
    const char *p = strstr(doc, pat);
    if (!p) return NULL;
    p += strlen(pat);
    while (*p == ' ' || *p == ':' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    if (*p != '"') return NULL;
    const char *e = strchr(++p, '"');
    return e ? sl_strndup(p, (size_t)(e - p)) : NULL;
}

static int imds_creds(s3_settings *s) {
    const char *dis = env("AWS_EC2_METADATA_DISABLED");
    if (dis && !strcasecmp(dis, "true")) return -1;
    const char *base = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (!base) base = "http://169.254.169.254";
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/') bl--;
    sl_buf b = {0};
    char *url = sl_sprintf("%.*s/latest/api/token", (int)bl, base), *hdr = NULL, *role = NULL;
    int rc = -1;
    if (imds_call(url, "PUT", "X-aws-ec2-metadata-token-ttl-seconds: 21600", &b) < 0) goto out;
    hdr = sl_sprintf("X-aws-ec2-metadata-token: %s", (char *)b.data);
    free(url);
    url = sl_sprintf("%.*s/latest/meta-data/iam/security-credentials/", (int)bl, base);
    if (imds_call(url, "GET", hdr, &b) < 0) goto out;
    role = sl_strndup((char *)b.data, strcspn((char *)b.data, "\r\n"));
    if (!*role) goto out;
    free(url);
    url = sl_sprintf("%.*s/latest/meta-data/iam/security-credentials/%s", (int)bl, base, role);
    if (imds_call(url, "GET", hdr, &b) < 0) goto out;
    clear_creds(s);
    s->akid = json_field((char *)b.data, "AccessKeyId");
    s->secret = json_field((char *)b.data, "SecretAccessKey");
    s->token = json_field((char *)b.data, "Token");
    rc = have_creds(s) ? 0 : -1;
out:
    sl_buf_free(&b);
    free(url), free(hdr), free(role);
    return rc;
}

/* ---- knobs ------------------------------------------------------------------ */
static double knob(double cfg_val, const char *envname, double def) {
    if (cfg_val > 0) return cfg_val;
    const char *v = env(envname);
    if (v) {
        char *end;
        double d = strtod(v, &end);
        if (!*end && d >= 0) return d;
    }
    return def;
}

int s3_settings_resolve(const io_config *cfg, s3_settings *s, sl_err *err) {
    static const io_config none = {0};
    if (!cfg) cfg = &none;
    memset(s, 0, sizeof *s);
    s3_settings prof = {0}; /* region/endpoint from the shared config files */
    const char *pname = cfg->profile ? cfg->profile : env("AWS_PROFILE");
    if (!pname) pname = "default";
    int have_profile = shared_profile(pname, &prof);
    if (cfg->profile && !have_profile) {
        s3_settings_free(&prof);
        return sl_err_set(err,
                          "AWS profile '%s' not found in the shared credentials or config "
                          "file (~/.aws/credentials, ~/.aws/config)",
                          cfg->profile);
    }
    if (cfg->no_sign_request) {
        s->cred_source = "none (--no-sign-request)";
    } else if (cfg->access_key_id && cfg->secret_access_key) {
        s->akid = sl_strdup(cfg->access_key_id);
        s->secret = sl_strdup(cfg->secret_access_key);
        if (cfg->session_token) s->token = sl_strdup(cfg->session_token);
        s->cred_source = "options";
    } else if (cfg->profile && have_creds(&prof)) {
        s->akid = sl_strdup(prof.akid), s->secret = sl_strdup(prof.secret);
        if (prof.token) s->token = sl_strdup(prof.token);
        s->cred_source = "shared credentials file (--profile)";
    } else if (env("AWS_ACCESS_KEY_ID") && env("AWS_SECRET_ACCESS_KEY")) {
        s->akid = sl_strdup(env("AWS_ACCESS_KEY_ID"));
        s->secret = sl_strdup(env("AWS_SECRET_ACCESS_KEY"));
        if (env("AWS_SESSION_TOKEN")) s->token = sl_strdup(env("AWS_SESSION_TOKEN"));
        s->cred_source = "environment";
    } else {
        s3_settings d = {0};
        if (cfg->config_file && s3_ini_section(cfg->config_file, "AWS", true, &d) == 1 &&
            have_creds(&d)) {
            s->akid = d.akid, s->secret = d.secret, s->token = d.token;
            d.akid = d.secret = d.token = NULL;
            s->cred_source = "--config [AWS]";
        } else if (have_creds(&prof)) {
            s->akid = sl_strdup(prof.akid), s->secret = sl_strdup(prof.secret);
            if (prof.token) s->token = sl_strdup(prof.token);
            s->cred_source = "shared credentials file";
        } else if (imds_creds(s) == 0) {
            s->cred_source = "instance metadata (IMDSv2)";
        } else {
            s3_settings_free(&d);
            s3_settings_free(&prof);
            clear_creds(s);
            return sl_err_set(err, "no AWS credentials found: set AWS_ACCESS_KEY_ID and "
                                   "AWS_SECRET_ACCESS_KEY, an [AWS] section in --config, a "
                                   "profile in ~/.aws/credentials (AWS_PROFILE), or use "
                                   "--no-sign-request for a public bucket");
        }
        s3_settings_free(&d);
    }
    /* region */
    const char *r = cfg->region ? cfg->region : env("AWS_REGION");
    if (!r) r = env("AWS_DEFAULT_REGION");
    if (!r) r = prof.region;
    s->region = sl_strdup(r ? r : "us-east-1");
    /* endpoint */
    const char *ep = cfg->endpoint_url ? cfg->endpoint_url : env("AWS_ENDPOINT_URL_S3");
    if (!ep) ep = env("AWS_ENDPOINT_URL");
    if (!ep) ep = prof.endpoint;
    if (ep) {
        if (strncmp(ep, "http://", 7) && strncmp(ep, "https://", 8)) {
            s3_settings_free(&prof);
            s3_settings_free(s);
            return sl_err_set(err, "endpoint URL '%s' must start with http:// or https://", ep);
        }
        size_t n = strlen(ep);
        while (n && ep[n - 1] == '/') n--;
        s->endpoint = sl_strndup(ep, n);
        s->path_style = true;
    } else {
        s->endpoint = sl_sprintf("https://s3.%s.amazonaws.com", s->region);
    }
    s3_settings_free(&prof);
    /* knobs: io_config, else SONGLAKE_S3_* environment (tests), else defaults */
    s->max_connections = (int)knob(cfg->max_connections, "SONGLAKE_S3_MAX_CONNECTIONS", 64);
    s->max_attempts = (int)knob(cfg->max_attempts, "SONGLAKE_S3_MAX_ATTEMPTS", 8);
    s->max_retry_seconds = knob(cfg->max_retry_seconds, "SONGLAKE_S3_MAX_RETRY_SECONDS", 120);
    s->retry_base = knob(cfg->retry_base_seconds, "SONGLAKE_S3_RETRY_BASE_SECONDS", 0.1);
    s->timeout_seconds = knob(cfg->timeout_seconds, "SONGLAKE_S3_TIMEOUT_SECONDS", 30);
    s->list_page_size = (int)knob(cfg->list_page_size, "SONGLAKE_S3_LIST_PAGE_SIZE", 1000);
    s->cleanup_grace = knob(cfg->cleanup_grace_seconds, "SONGLAKE_S3_CLEANUP_GRACE_SECONDS", 3600);
    s->multipart_threshold =
        (size_t)knob((double)cfg->multipart_threshold, "SONGLAKE_S3_MULTIPART_THRESHOLD", 16 << 20);
    s->part_size = (size_t)knob((double)cfg->multipart_part_size, "SONGLAKE_S3_PART_SIZE", 8 << 20);
    if (s->max_connections < 1) s->max_connections = 1;
    if (s->max_attempts < 1) s->max_attempts = 1;
    if (s->list_page_size < 1 || s->list_page_size > 1000) s->list_page_size = 1000;
    if (s->part_size < 1024) s->part_size = 1024;
    return 0;
}

void s3_settings_free(s3_settings *s) {
    clear_creds(s);
    free(s->region), free(s->endpoint);
    s->region = s->endpoint = NULL;
}

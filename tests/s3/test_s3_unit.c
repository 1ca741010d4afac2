/* S3 unit tests: XML parsing of S3 responses (expat), s3:// URIs, SigV4 key
 * encoding, the retry schedule and what is retried, Content-MD5, run-id
 * names, and the credential chain resolved from files and environment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/s3_internal.h"

static void test_xml_list(void **state) {
    (void)state;
    const char *doc =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Name>b</Name><Prefix>in/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>"
        "<IsTruncated>true</IsTruncated><NextContinuationToken>1/abc=</NextContinuationToken>"
        "<Contents><Key>in/a &amp; b.json</Key><LastModified>2026-11-25T03:06:13.000Z"
        "</LastModified><ETag>\"x\"</ETag><Size>261</Size></Contents>"
        "<Contents><Key>in/\xc3\xbc.json</Key><Size>5000000000</Size>"
        "<Owner><ID>1</ID></Owner></Contents>"
        "<CommonPrefixes><Prefix>in/d/</Prefix></CommonPrefixes>"
        "</ListBucketResult>";
    s3_list_page pg;
    sl_err err = {{0}};
    assert_int_equal(s3_xml_list(doc, strlen(doc), &pg, &err), 0);
    assert_int_equal(pg.objs.len, 2);
    assert_string_equal(SL_VEC_AT(&pg.objs, s3_obj, 0).key, "in/a & b.json");
    assert_int_equal(SL_VEC_AT(&pg.objs, s3_obj, 0).size, 261);
    assert_int_equal(SL_VEC_AT(&pg.objs, s3_obj, 0).mtime, 1795575973);
    assert_string_equal(SL_VEC_AT(&pg.objs, s3_obj, 1).key, "in/\xc3\xbc.json");
    assert_true(SL_VEC_AT(&pg.objs, s3_obj, 1).size == 5000000000ull);
    assert_int_equal(pg.prefixes.len, 1);
    assert_string_equal(SL_VEC_AT(&pg.prefixes, char *, 0), "in/d/");
    assert_true(pg.truncated);
    assert_string_equal(pg.next_token, "1/abc=");
    s3_list_page_free(&pg);

    const char *last = "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>";
    assert_int_equal(s3_xml_list(last, strlen(last), &pg, &err), 0);
    assert_false(pg.truncated);
    assert_int_equal(pg.objs.len, 0);
    s3_list_page_free(&pg);

    const char *bad[] = {"<ListBucketResult><Contents>", "<Error><Code>X</Code></Error>",
                         "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>", "",
                         "not xml"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.msg[0] = 0;
        assert_int_equal(s3_xml_list(bad[i], strlen(bad[i]), &pg, &err), -1);
        assert_true(err.msg[0] != 0);
    }
}

static void test_xml_error(void **state) {
    (void)state;
    const char *doc = "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>The "
                      "specified bucket does not exist</Message><BucketName>x</BucketName>"
                      "</Error>";
    char code[16], msg[12];
    assert_int_equal(s3_xml_error(doc, strlen(doc), code, sizeof code, msg, sizeof msg), 0);
    assert_string_equal(code, "NoSuchBucket");
    assert_string_equal(msg, "The specifi"); /* truncated to the buffer */
    const char *notErr = "<ListBucketResult><Code>X</Code></ListBucketResult>";
    assert_int_equal(s3_xml_error(notErr, strlen(notErr), code, sizeof code, msg, sizeof msg), -1);
    assert_string_equal(code, "");
    assert_int_equal(s3_xml_error("<Error>", 7, code, sizeof code, msg, sizeof msg), -1);
    assert_int_equal(s3_xml_error("", 0, code, sizeof code, msg, sizeof msg), -1);
}

static void test_xml_initiate_delete(void **state) {
    (void)state;
    sl_err err = {{0}};
    char *id = NULL;
    const char *ini = "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
                      "<UploadId>VXBsb2FkIElE+/=</UploadId></InitiateMultipartUploadResult>";
    assert_int_equal(s3_xml_initiate(ini, strlen(ini), &id, &err), 0);
    assert_string_equal(id, "VXBsb2FkIElE+/=");
    free(id);
    const char *noid = "<InitiateMultipartUploadResult></InitiateMultipartUploadResult>";
    assert_int_equal(s3_xml_initiate(noid, strlen(noid), &id, &err), -1);
    assert_null(id);

    int nerr = -1;
    const char *ok = "<DeleteResult><Deleted><Key>a</Key></Deleted></DeleteResult>";
    assert_int_equal(s3_xml_delete_result(ok, strlen(ok), &nerr, &err), 0);
    assert_int_equal(nerr, 0);
    const char *some = "<DeleteResult><Error><Key>a/b</Key><Code>AccessDenied</Code><Message>"
                       "Access Denied</Message></Error><Error><Key>c</Key><Code>InternalError"
                       "</Code></Error></DeleteResult>";
    assert_int_equal(s3_xml_delete_result(some, strlen(some), &nerr, &err), 0);
    assert_int_equal(nerr, 2);
    assert_non_null(strstr(err.msg, "a/b: AccessDenied: Access Denied"));
    assert_int_equal(s3_xml_delete_result("<Error/>", 8, &nerr, &err), -1);

    sl_buf b = {0};
    s3_xml_escape(&b, "a&b<c>'\"");
    sl_buf_putc(&b, 0);
    assert_string_equal((char *)b.data, "a&amp;b&lt;c&gt;&apos;&quot;");
    sl_buf_free(&b);
}

static void test_uri_and_encoding(void **state) {
    (void)state;
    char *b, *k;
    sl_err err = {{0}};
    assert_int_equal(s3_parse_uri("s3://bucket/a/b c", &b, &k, &err), 0);
    assert_string_equal(b, "bucket");
    assert_string_equal(k, "a/b c");
    free(b), free(k);
    assert_int_equal(s3_parse_uri("s3://bucket", &b, &k, &err), 0);
    assert_string_equal(k, "");
    free(b), free(k);
    assert_int_equal(s3_parse_uri("s3:///key", &b, &k, &err), -1);
    assert_non_null(strstr(err.msg, "missing bucket"));
    assert_int_equal(s3_parse_uri("/local", &b, &k, &err), -1);

    sl_buf e = {0};
    const char *key = "a b/%=+~-._\xc3\xbc!*";
    s3_uri_encode(&e, key, strlen(key), true);
    sl_buf_putc(&e, 0);
    assert_string_equal((char *)e.data, "a%20b/%25%3D%2B~-._%C3%BC%21%2A");
    e.len = 0;
    s3_uri_encode(&e, "a/b", 3, false);
    sl_buf_putc(&e, 0);
    assert_string_equal((char *)e.data, "a%2Fb");
    sl_buf_free(&e);
}

static void test_backoff(void **state) {
    (void)state;
    /* full jitter: the upper bound doubles from base up to the cap */
    assert_true(s3_backoff_delay(1, 0.1, 20, 0.999999) < 0.1 + 1e-9);
    assert_true(s3_backoff_delay(2, 0.1, 20, 0.5) == 0.1);
    assert_true(s3_backoff_delay(4, 0.1, 20, 0.5) == 0.4);
    assert_true(s3_backoff_delay(30, 0.1, 20, 0.5) == 10.0);
    assert_true(s3_backoff_delay(3, 0.1, 20, 0.0) == 0.0);
    assert_true(s3_backoff_delay(0, 0.1, 20, 0.9) == 0.0);
    double prev = 0;
    for (int a = 1; a < 12; a++) {
        double d = s3_backoff_delay(a, 0.1, 20, 0.75);
        assert_true(d >= prev && d <= 20 * 0.75);
        prev = d;
    }
    assert_true(s3_retryable(7, 0, ""));    /* couldn't connect */
    assert_true(s3_retryable(28, 0, ""));   /* timeout */
    assert_true(s3_retryable(56, 200, "")); /* reset mid-body */
    assert_true(s3_retryable(0, 500, "InternalError"));
    assert_true(s3_retryable(0, 503, "SlowDown"));
    assert_true(s3_retryable(0, 429, ""));
    assert_true(s3_retryable(0, 400, "RequestTimeout"));
    assert_false(s3_retryable(0, 400, "InvalidArgument"));
    assert_false(s3_retryable(0, 403, "AccessDenied"));
    assert_false(s3_retryable(0, 404, "NoSuchKey"));
    assert_false(s3_retryable(0, 501, "NotImplemented"));
    assert_false(s3_retryable(0, 200, ""));
    assert_non_null(strstr(s3_error_hint(403, "AccessDenied"), "AWS_ACCESS_KEY_ID"));
    assert_non_null(strstr(s3_error_hint(404, "NoSuchBucket"), "bucket"));
    assert_non_null(strstr(s3_error_hint(403, ""), "credentials"));
    assert_non_null(strstr(s3_error_hint(403, "RequestTimeTooSkewed"), "clock"));
}

static void test_md5_names_time(void **state) {
    (void)state;
    char out[25];
    s3_content_md5("", 0, out);
    assert_string_equal(out, "1B2M2Y8AsgTpgAmY7PhCfg==");
    s3_content_md5("abc", 3, out);
    assert_string_equal(out, "kAFQmDzST7DWlj99KOF/cg==");
    char a[1000];
    memset(a, 'a', sizeof a);
    s3_content_md5(a, 55, out);
    assert_string_equal(out, "7xdytt/5oSI1hVKVStDfZQ==");
    s3_content_md5(a, 56, out);
    assert_string_equal(out, "OwyKxwP4KLBMbBlwBtFyGA==");
    s3_content_md5(a, 64, out);
    assert_string_equal(out, "AUhC1IC1cUlaSgNjeT9zZw==");
    s3_content_md5(a, 1000, out);
    assert_string_equal(out, "yr5F3MmuW2a6hmAMymuLqA==");

    char *n = s3_name_with_run("year=2018/month=11/part-00000.snappy.parquet", "R1");
    assert_string_equal(n, "year=2018/month=11/part-00000-R1.snappy.parquet");
    char *r = s3_run_of_name(n);
    assert_string_equal(r, "R1");
    free(n), free(r);
    n = s3_name_with_run("a.b/part-00003", "20261125T030613Z-0abc12");
    assert_string_equal(n, "a.b/part-00003-20261125T030613Z-0abc12");
    r = s3_run_of_name(n);
    assert_string_equal(r, "20261125T030613Z-0abc12");
    free(n), free(r);
    assert_null(s3_run_of_name("t/_SUCCESS"));
    assert_null(s3_run_of_name("t/part-00000.snappy.parquet"));
    assert_null(s3_run_of_name("t/rejects.jsonl"));
    assert_int_equal(s3_parse_time("1970-01-02T00:00:01.000Z"), 86401);
    assert_int_equal(s3_parse_time("junk"), 0);
}

static void test_xml_uploads(void **state) {
    (void)state;
    sl_err err = {{0}};
    s3_upload_page pg;
    const char *x = "<?xml version=\"1.0\"?><ListMultipartUploadsResult><Bucket>lake</Bucket>"
                    "<IsTruncated>true</IsTruncated><NextKeyMarker>out/t/b</NextKeyMarker>"
                    "<NextUploadIdMarker>id2</NextUploadIdMarker>"
                    "<Upload><Key>out/t/a &amp; b</Key><UploadId>id1+/=</UploadId>"
                    "<Initiated>1970-01-02T00:00:01.000Z</Initiated></Upload>"
                    "<Upload><Key>out/t/b</Key><UploadId>id2</UploadId></Upload>"
                    "<Upload><Key>no-id</Key></Upload></ListMultipartUploadsResult>";
    assert_int_equal(s3_xml_uploads(x, strlen(x), &pg, &err), 0);
    assert_int_equal(pg.uploads.len, 2);
    s3_upload *u = &SL_VEC_AT(&pg.uploads, s3_upload, 0);
    assert_string_equal(u->key, "out/t/a & b");
    assert_string_equal(u->upload_id, "id1+/=");
    assert_int_equal(u->initiated, 86401);
    assert_true(pg.truncated);
    assert_string_equal(pg.next_key, "out/t/b");
    assert_string_equal(pg.next_upload_id, "id2");
    s3_upload_page_free(&pg);
    const char *empty = "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>"
                        "</ListMultipartUploadsResult>";
    assert_int_equal(s3_xml_uploads(empty, strlen(empty), &pg, &err), 0);
    assert_int_equal(pg.uploads.len, 0);
    s3_upload_page_free(&pg);
    const char *trunc = "<ListMultipartUploadsResult><IsTruncated>true</IsTruncated>"
                        "</ListMultipartUploadsResult>";
    assert_int_equal(s3_xml_uploads(trunc, strlen(trunc), &pg, &err), -1);
    assert_int_equal(s3_xml_uploads("<ListBucketResult/>", 19, &pg, &err), -1);
    assert_int_equal(s3_xml_uploads("<ListMultipartUploadsResult>", 28, &pg, &err), -1);
}

/* Which keys songlake recognises as its own (and may abort uploads of). */
static void test_songlake_keys(void **state) {
    (void)state;
    char run[24];
    const char *R = "20261125T030613Z-0abc12";
    char *k = sl_sprintf("lk/songplays/year=2018/month=11/part-00000-%s.snappy.parquet", R);
    assert_true(s3_songlake_key("lk/", k, run));
    assert_string_equal(run, R);
    free(k);
    k = sl_sprintf("lk/songs/part-00002-c001-%s.snappy.parquet", R); /* rank 2, 2nd file */
    assert_true(s3_songlake_key("lk/", k, run));
    assert_string_equal(run, R);
    free(k);
    k = sl_sprintf("lk/.songlake-staging-%s/users/rejects.jsonl", R);
    assert_true(s3_songlake_key("lk/", k, run));
    assert_string_equal(run, R);
    free(k);
    k = sl_sprintf("part-00000-%s.snappy.parquet", R); /* root "" (the bucket) */
    assert_true(s3_songlake_key("", k, run));
    free(k);
    /* others' names: Spark's, a foreign upload, other roots, near misses */
    const char *not_ours[] = {
        "lk/songplays/part-00000-2f3a9c1e-7b1d-4c2e-9a55-0c1d2e3f4a5b-c000.snappy.parquet",
        "lk/songplays/backup.tar",
        "lk/songplays/part-00000.snappy.parquet",
        "lk/t/part-00000-20261125T030613Z-0ABC12.parquet", /* upper-case hex */
        "lk/t/part-00000-20261125T030613-0abc12.parquet",
        "lk/t/part-00000x20261125T030613Z-0abc12.parquet",
        "lk/t/data-00000-20261125T030613Z-0abc12.parquet",
        "lk/.songlake-staging-RUN1/t/rejects.jsonl",
        "other/t/part-00000-20261125T030613Z-0abc12.parquet",
        "lk2/t/part-00000-20261125T030613Z-0abc12.parquet",
    };
    for (size_t i = 0; i < sizeof not_ours / sizeof not_ours[0]; i++)
        assert_false(s3_songlake_key("lk/", not_ours[i], run));
}

/* ---- credential chain ------------------------------------------------------ */
static char tmpdir[64];

static char *write_tmp(const char *name, const char *text) {
    char *p = sl_sprintf("%s/%s", tmpdir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

static void clear_env(void) {
    const char *vars[] = {"AWS_ACCESS_KEY_ID",
                          "AWS_SECRET_ACCESS_KEY",
                          "AWS_SESSION_TOKEN",
                          "AWS_PROFILE",
                          "AWS_REGION",
                          "AWS_DEFAULT_REGION",
                          "AWS_ENDPOINT_URL",
                          "AWS_ENDPOINT_URL_S3",
                          "AWS_SHARED_CREDENTIALS_FILE",
                          "AWS_CONFIG_FILE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) unsetenv(vars[i]);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    setenv("HOME", tmpdir, 1); /* no ~/.aws of the machine running the tests */
}

static void test_cred_chain(void **state) {
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/songlake-s3unit-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    clear_env();
    char *creds = write_tmp("credentials", "[default]\naws_access_key_id = AKIADEFAULT\n"
                                           "aws_secret_access_key = sdefault\n"
                                           "[work]\naws_access_key_id=AKIAWORK\n"
                                           "aws_secret_access_key=swork\naws_session_token=tw\n");
    char *conf = write_tmp("config", "[default]\nregion = eu-west-1\n"
                                     "[profile work]\nregion = ap-south-1\n"
                                     "[profile cfgonly]\naws_access_key_id = AKIACFGONLY\n"
                                     "aws_secret_access_key = scfg\n");
    char *dl = write_tmp("dl.cfg", "[AWS]\nAWS_ACCESS_KEY_ID='AKIADLCFG'\n"
                                   "AWS_SECRET_ACCESS_KEY='sdl'\n");
    sl_err err = {{0}};
    s3_settings s;
    io_config cfg = {0};

    /* nothing anywhere: a clear error that names every source */
    assert_int_equal(s3_settings_resolve(&cfg, &s, &err), -1);
    assert_non_null(strstr(err.msg, "AWS_ACCESS_KEY_ID"));
    assert_non_null(strstr(err.msg, "--no-sign-request"));

    setenv("AWS_SHARED_CREDENTIALS_FILE", creds, 1);
    setenv("AWS_CONFIG_FILE", conf, 1);
    assert_int_equal(s3_settings_resolve(&cfg, &s, &err), 0);
    assert_string_equal(s.akid, "AKIADEFAULT");
    assert_string_equal(s.region, "eu-west-1");
    assert_string_equal(s.endpoint, "https://s3.eu-west-1.amazonaws.com");
    assert_false(s.path_style);
    s3_settings_free(&s);

    setenv("AWS_PROFILE", "work", 1);
    assert_int_equal(s3_settings_resolve(&cfg, &s, &err), 0);
    assert_string_equal(s.akid, "AKIAWORK");
    assert_string_equal(s.token, "tw");
    assert_string_equal(s.region, "ap-south-1");
    s3_settings_free(&s);

    setenv("AWS_PROFILE", "cfgonly", 1); /* keys in the config file */
    assert_int_equal(s3_settings_resolve(&cfg, &s, &err), 0);
    assert_string_equal(s.akid, "AKIACFGONLY");
    s3_settings_free(&s);
    unsetenv("AWS_PROFILE");

    /* dl.cfg [AWS] beats the shared files; values may be quoted */
    cfg.config_file = dl;
    assert_int_equal(s3_settings_resolve(&cfg, &s, &err), 0);
    assert_string_equal(s.akid, "AKIADLCFG");
    assert_string_equal(s.secret, "sdl");
    s3_settings_free(&s);

    /* environment beats dl.cfg */
    setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "senv", 1);
    setenv("AWS_REGION", "us-west-2", 1);
    assert_int_equal(s3_settings_resolve(&cfg, &s, &err), 0);
    assert_string_equal(s.akid, "AKIAENV");
    assert_null(s.token);
    assert_string_equal(s.region, "us-west-2");
    s3_settings_free(&s);

    /* an explicit --profile beats the environment; a missing one is an error */
    cfg.profile = "work";
    assert_int_equal(s3_settings_resolve(&cfg, &s, &err), 0);
    assert_string_equal(s.akid, "AKIAWORK");
    s3_settings_free(&s);
    cfg.profile = "nope";
    assert_int_equal(s3_settings_resolve(&cfg, &s, &err), -1);
    assert_non_null(strstr(err.msg, "'nope' not found"));
    cfg.profile = NULL;

    /* io_config keys beat everything; secrets never reach a message */
    cfg.access_key_id = "AKIACFG";
    cfg.secret_access_key = "scfgfield";
    assert_int_equal(s3_settings_resolve(&cfg, &s, &err), 0);
    assert_string_equal(s.akid, "AKIACFG");
    s3_settings_free(&s);

    /* endpoints: AWS_ENDPOINT_URL_S3 wins over AWS_ENDPOINT_URL; path style */
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1", 1);
    setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:2/", 1);
    assert_int_equal(s3_settings_resolve(&cfg, &s, &err), 0);
    assert_string_equal(s.endpoint, "http://127.0.0.1:2");
    assert_true(s.path_style);
    s3_settings_free(&s);
    setenv("AWS_ENDPOINT_URL_S3", "ftp://x", 1);
    assert_int_equal(s3_settings_resolve(&cfg, &s, &err), -1);
    assert_non_null(strstr(err.msg, "http://"));

    cfg = (io_config){.no_sign_request = true};
    unsetenv("AWS_ENDPOINT_URL_S3");
    assert_int_equal(s3_settings_resolve(&cfg, &s, &err), 0);
    assert_null(s.akid);
    assert_int_equal(s.max_connections, 64);
    assert_int_equal(s.max_attempts, 8);
    s3_settings_free(&s);

    unlink(creds), unlink(conf), unlink(dl);
    free(creds), free(conf), free(dl);
    rmdir(tmpdir);
    clear_env();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xml_list),
        cmocka_unit_test(test_xml_error),
        cmocka_unit_test(test_xml_initiate_delete),
        cmocka_unit_test(test_xml_uploads),
        cmocka_unit_test(test_songlake_keys),
        cmocka_unit_test(test_uri_and_encoding),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_md5_names_time),
        cmocka_unit_test(test_cred_chain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

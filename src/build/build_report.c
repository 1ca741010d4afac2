/* build report: <out>/_songlake/report.json (SPEC section 3: version,
 * options without secrets, inputs, records per source, rows, files and
 * bytes per table, seconds per phase) and the table printed after a run. */
#include <stdlib.h>
#include <string.h>

#include "build/build_internal.h"

static void json_kv_str(sl_buf *b, const char *k, const char *v, bool comma) {
    sl_buf_printf(b, "%s\"%s\":", comma ? "," : "", k);
    char *r = sl_url_redact(v); /* never a URL's user:password */
    if (r)
        sl_buf_json_str(b, r, strlen(r));
    else
        sl_buf_append(b, "null", 4);
    free(r);
}

static void source_json(sl_buf *b, const char *name, const build_input *in,
                        const etl_source_stats *s) {
    sl_buf_printf(b,
                  "\"%s\":{\"files\":%zu,\"bytes\":%llu,\"bytes_decompressed\":%llu,"
                  "\"records_read\":%llu,\"accepted\":%llu,\"rejected\":%llu}",
                  name, in->files, (unsigned long long)in->bytes, (unsigned long long)s->bytes,
                  (unsigned long long)s->read, (unsigned long long)s->accepted,
                  (unsigned long long)s->rejected);
}

char *build_report_json(const build_state *s) {
    const build_opts *o = s->o;
    const build_summary *sum = &s->sum;
    const build_times *pt = &s->pt;
    sl_buf b = {0};
    sl_buf_append(&b, "{", 1);
    json_kv_str(&b, "tool", "songlake", false);
    json_kv_str(&b, "version", SONGLAKE_VERSION, true);
    json_kv_str(&b, "run_id", s->run_id, true);
    sl_buf_append(&b, ",\"options\":{", 12);
    json_kv_str(&b, "songs", o->songs, false);
    json_kv_str(&b, "logs", o->logs, true);
    json_kv_str(&b, "out", o->out, true);
    json_kv_str(&b, "config", o->config, true);
    json_kv_str(&b, "compression", pq_codec_name(o->codec), true);
    json_kv_str(&b, "format", o->delta ? "delta" : "parquet", true);
    sl_buf_printf(&b, ",\"sync\":%s", o->io.no_sync ? "false" : "true");
    sl_buf_printf(&b, ",\"threads\":%d,\"ranks\":%d", o->threads, s->size);
    if (o->max_rejects == UINT64_MAX)
        sl_buf_append(&b, ",\"max_rejects\":null", 19);
    else
        sl_buf_printf(&b, ",\"max_rejects\":%llu", (unsigned long long)o->max_rejects);
    json_kv_str(&b, "endpoint_url", o->io.endpoint_url, true);
    json_kv_str(&b, "region", o->io.region, true);
    sl_buf_append(&b, "},\"inputs\":{", 12);
    source_json(&b, "songs", &sum->songs_in, &sum->songs);
    sl_buf_append(&b, ",", 1);
    source_json(&b, "logs", &sum->logs_in, &sum->events);
    sl_buf_printf(&b, "},\"rejects\":%llu,\"reject_reasons\":[", (unsigned long long)sum->rejects);
    const lake_reason *r;
    size_t nr = lake_reject_reasons(s->lk, &r);
    for (size_t i = 0; i < nr; i++) {
        sl_buf_printf(&b, "%s{\"reason\":", i ? "," : "");
        sl_buf_json_str(&b, r[i].text, strlen(r[i].text));
        sl_buf_printf(&b, ",\"count\":%llu}", (unsigned long long)r[i].count);
    }
    double rate = o->max_reject_rate > 0 ? o->max_reject_rate : BUILD_DEFAULT_REJECT_RATE;
    sl_buf_printf(&b, "],\"max_reject_rate\":%g,\"songplays_matched\":%llu", rate,
                  (unsigned long long)sum->songplays_matched);
    /* S3: multipart uploads that killed earlier runs left open, aborted by
     * this run's cleanup (docs/s3.md) */
    sl_buf_printf(&b, ",\"uploads_aborted\":%llu,\"tables\":{",
                  (unsigned long long)(s->store ? io_store_uploads_aborted(s->store) : 0));
    for (int t = 0; t < LAKE_NTABLES; t++) {
        const lake_table_stats *ts = &sum->tables[t];
        sl_buf_printf(&b, "%s\"%s\":{\"rows\":%llu,\"files\":%llu,\"bytes\":%llu}", t ? "," : "",
                      lake_table_name(t), (unsigned long long)ts->rows,
                      (unsigned long long)ts->files, (unsigned long long)ts->bytes);
    }
    etl_stats st; /* this rank's phase times */
    etl_get_stats(s->e, &st);
    const etl_phase_times *et = &st.times;
    sl_buf_printf(&b,
                  "},\"seconds\":{\"list\":%.3f,\"songs\":%.3f,\"events\":%.3f,"
                  "\"read_cpu\":%.3f,\"parse_cpu\":%.3f,\"transform\":%.3f,"
                  "\"encode_songplays\":%.3f,\"finish\":%.3f,\"publish\":%.3f,\"total\":%.3f}}\n",
                  pt->list, pt->songs, pt->events, et->read, et->parse, et->merge - et->encode,
                  et->encode, pt->finish, pt->publish, pt->total);
    sl_buf_putc(&b, 0);
    return (char *)b.data;
}

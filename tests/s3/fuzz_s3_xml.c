/* libFuzzer target: every S3 XML response parser on arbitrary bytes. They
 * read untrusted server output, so none may crash, leak or read out of
 * bounds on any input. */
#include <stdlib.h>

#include "io/s3_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    sl_err err;
    s3_list_page pg;
    if (s3_xml_list(data, n, &pg, &err) == 0) s3_list_page_free(&pg);
    char code[64], msg[128];
    s3_xml_error(data, n, code, sizeof code, msg, sizeof msg);
    char *id = NULL;
    if (s3_xml_initiate(data, n, &id, &err) == 0) free(id);
    s3_upload_page up;
    if (s3_xml_uploads(data, n, &up, &err) == 0) s3_upload_page_free(&up);
    int nerr;
    s3_xml_delete_result(data, n, &nerr, &err);
    return 0;
}

/* delta internals shared by delta_write.c, delta_log.c and
 * delta_checkpoint.c. Not part of the module interface. */
#ifndef SONGLAKE_DELTA_INTERNAL_H
#define SONGLAKE_DELTA_INTERNAL_H

#include "delta/delta.h"

#define DELTA_CHECKPOINT_INTERVAL 10
/* Tombstones older than this (Delta's default deletedFileRetentionDuration,
 * one week) are left out of checkpoints. */
#define DELTA_TOMBSTONE_RETENTION_MS (7LL * 24 * 3600 * 1000)

/* One add action's line (data_change false in checkpoints' JSON form). */
void delta_add_json(sl_buf *b, char *const *pcols, size_t npart, const char *path,
                    const char *const *pvals, uint64_t size, int64_t mtime, const char *stats,
                    bool data_change);

/* The replay state a snapshot is built from (delta_log.c), fed by the JSON
 * commits and by a checkpoint (delta_checkpoint.c). */
typedef struct delta_replay delta_replay;
void delta_replay_add(delta_replay *r, const char *path, char **pvals, uint64_t size, int64_t mtime,
                      const char *stats);
/* pvals NULL: the remove did not carry partition values */
void delta_replay_remove(delta_replay *r, const char *path, char **pvals, uint64_t size,
                         int64_t deletion_ts);
void delta_replay_txn(delta_replay *r, const char *app_id, int64_t version);
void delta_replay_protocol(delta_replay *r, int reader, int writer);
void delta_replay_metadata(delta_replay *r, const char *id, const char *schema_string,
                           char **partition_cols, size_t npart, int64_t created_time);
sl_arena *delta_replay_arena(delta_replay *r);
char *delta_replay_strndup(delta_replay *r, const char *s, size_t n);
/* The partition columns known so far (the checkpoint's metaData). */
char **delta_replay_partition_cols(delta_replay *r, size_t *n);

/* Reads a checkpoint file image into the replay. */
int delta_checkpoint_read(const uint8_t *data, size_t len, delta_replay *r, sl_err *err);

/* Decodes %XX escapes of an add/remove path. */
char *delta_path_decode(delta_replay *r, const char *s, size_t n);

#endif

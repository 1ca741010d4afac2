/* tree_writer: the nested Parquet writer (pq_tree_* of parquet.h), for
 * schemas of structs, lists and maps such as the Delta checkpoint's.
 *
 * The caller's pre-order pq_node list is expanded into the format's schema
 * tree (a LIST gets its repeated group "list" and child "element", a MAP its
 * repeated group "key_value" with "key" and "value"), each node knowing its
 * definition level (OPTIONAL and REPEATED nodes from the root down to it)
 * and repetition level (REPEATED nodes). Rows arrive as calls in schema
 * order and are shredded as Dremel does: a stack of open groups says which
 * node the next call fills and which repetition level its first entries
 * get (that of the enclosing occurrence for the first element of a list,
 * the list's own level for the next ones); a null or an empty list writes
 * one entry, at the level where the path stops, to every leaf below it.
 *
 * Each leaf keeps one open page (levels one byte per entry, PLAIN values)
 * and the finished pages of the row group; pages and row groups are cut
 * only between rows, so a row never spans pages. No dictionary: checkpoint
 * tables are small and mostly distinct paths. The flat pq_writer stays the
 * tuned path for data. Thrift, RLE, compression and statistics are the flat
 * writer's own pieces (pq_write_internal.h). */
#include "parquet/pq_write_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TW_MAX_DEPTH 24
#define TW_REP_REPEATED 2
#define TW_CONV_MAP 1
#define TW_CONV_LIST 3

enum { TN_LEAF, TN_GROUP, TN_LIST, TN_MAP, TN_REPEATED };

typedef struct tnode {
    char *name;
    int kind;
    int repetition; /* PQW_REP_REQUIRED, PQW_REP_OPTIONAL, TW_REP_REPEATED */
    pq_type type;
    int def, rep;          /* levels of an entry where this node is present */
    size_t kids[2], *more; /* children: kids for up to two, else more */
    size_t nkids;
    size_t leaf0, leaf1; /* the subtree's leaves [leaf0, leaf1) */
} tnode;

typedef struct tleaf {
    size_t node;
    char **path;
    size_t npath;
    int max_def, max_rep;
    int phys, width;
    sl_buf defs, reps; /* open page: one byte per entry */
    sl_buf plain;      /* open page: PLAIN values (BOOLEAN: a byte each) */
    size_t page_entries;
    sl_buf chunk; /* finished pages of the row group */
    uint64_t chunk_unc, chunk_entries;
    pqw_stats stats;
} tleaf;

typedef struct tframe {
    size_t node;
    size_t next;  /* child (of the repeated group, for lists and maps) to fill next */
    int occ_rep;  /* repetition level of this occurrence's first entries */
    int cur_rep;  /* lists and maps: that of the element being given */
    size_t count; /* lists and maps: elements given */
} tframe;

struct pq_tree_writer {
    tnode *nodes; /* 0 is the root */
    size_t nnodes, cap_nodes;
    tleaf *leaves;
    size_t nleaves;
    pqw_file f;
    uint32_t *lv;
    size_t lv_cap;
    tframe stack[TW_MAX_DEPTH + 1];
    int depth;
    bool bad;
    char why[256];
};

static size_t *kids_of(tnode *n) {
    return n->more ? n->more : n->kids;
}

static void tw_fail(pq_tree_writer *w, const char *fmt, ...) SL_PRINTF(2, 3);
static void tw_fail(pq_tree_writer *w, const char *fmt, ...) {
    if (w->bad) return;
    w->bad = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->why, sizeof w->why, fmt, ap);
    va_end(ap);
}

/* ---- the schema ------------------------------------------------------- */

static size_t add_node(pq_tree_writer *w, const char *name, int kind, int repetition, pq_type type,
                       int def, int rep) {
    if (w->nnodes == w->cap_nodes) {
        w->cap_nodes = w->cap_nodes ? w->cap_nodes * 2 : 16;
        w->nodes = sl_realloc(w->nodes, w->cap_nodes * sizeof *w->nodes);
    }
    tnode *n = &w->nodes[w->nnodes];
    memset(n, 0, sizeof *n);
    n->name = sl_strdup(name);
    n->kind = kind;
    n->repetition = repetition;
    n->type = type;
    n->def = def;
    n->rep = rep;
    return w->nnodes++;
}

static void add_kid(pq_tree_writer *w, size_t parent, size_t kid, size_t total) {
    tnode *p = &w->nodes[parent];
    if (total > 2 && !p->more) p->more = sl_calloc(total, sizeof *p->more);
    kids_of(p)[p->nkids++] = kid;
}

static bool leaf_type_ok(pq_type t) {
    return t == PQ_BOOLEAN || t == PQ_INT32 || t == PQ_INT64 || t == PQ_DOUBLE || t == PQ_STRING ||
           t == PQ_TIMESTAMP_US;
}

/* Builds the subtree of nodes[*i] under `parent` (whose levels are def,
 * rep); `name` overrides the node's own (list elements, map keys/values). */
static int build(pq_tree_writer *w, const pq_node *nodes, size_t nnodes, size_t *i, size_t parent,
                 size_t siblings, const char *name, int depth, sl_err *err) {
    if (*i >= nnodes) return sl_err_set(err, "parquet tree writer: the schema ends inside a group");
    if (depth > TW_MAX_DEPTH - 2)
        return sl_err_set(err, "parquet tree writer: schema nested deeper than %d",
                          TW_MAX_DEPTH - 2);
    const pq_node *s = &nodes[(*i)++];
    if (!name) name = s->name;
    if (!name || !name[0])
        return sl_err_set(err, "parquet tree writer: node %zu has no name", *i - 1);
    int def = w->nodes[parent].def + (s->nullable ? 1 : 0), rep = w->nodes[parent].rep;
    int repn = s->nullable ? PQW_REP_OPTIONAL : PQW_REP_REQUIRED;
    size_t me;
    switch (s->kind) {
    case PQ_NODE_LEAF:
        if (!leaf_type_ok(s->type))
            return sl_err_set(err, "parquet tree writer: field %s: type %s cannot be written", name,
                              pq_type_name(s->type));
        me = add_node(w, name, TN_LEAF, repn, s->type, def, rep);
        w->nodes[me].leaf0 = w->nleaves++;
        break;
    case PQ_NODE_STRUCT:
        if (s->nfields == 0)
            return sl_err_set(err, "parquet tree writer: struct %s has no fields", name);
        me = add_node(w, name, TN_GROUP, repn, PQ_OTHER, def, rep);
        w->nodes[me].leaf0 = w->nleaves;
        for (uint32_t k = 0; k < s->nfields; k++)
            if (build(w, nodes, nnodes, i, me, s->nfields, NULL, depth + 1, err) < 0) return -1;
        break;
    case PQ_NODE_LIST:
    case PQ_NODE_MAP: {
        bool map = s->kind == PQ_NODE_MAP;
        me = add_node(w, name, map ? TN_MAP : TN_LIST, repn, PQ_OTHER, def, rep);
        w->nodes[me].leaf0 = w->nleaves;
        size_t g = add_node(w, map ? "key_value" : "list", TN_REPEATED, TW_REP_REPEATED, PQ_OTHER,
                            def + 1, rep + 1);
        w->nodes[g].leaf0 = w->nleaves;
        add_kid(w, me, g, 1);
        if (map) {
            if (*i >= nnodes || nodes[*i].kind != PQ_NODE_LEAF || nodes[*i].nullable)
                return sl_err_set(
                    err, "parquet tree writer: map %s: the key must be a REQUIRED leaf", name);
            if (build(w, nodes, nnodes, i, g, 2, "key", depth + 2, err) < 0 ||
                build(w, nodes, nnodes, i, g, 2, "value", depth + 2, err) < 0)
                return -1;
        } else if (build(w, nodes, nnodes, i, g, 1, "element", depth + 2, err) < 0) {
            return -1;
        }
        w->nodes[g].leaf1 = w->nleaves;
        break;
    }
    default: return sl_err_set(err, "parquet tree writer: node %s has an unknown kind", name);
    }
    w->nodes[me].leaf1 = w->nleaves;
    add_kid(w, parent, me, siblings);
    for (size_t k = 0; k < w->nodes[parent].nkids - 1; k++)
        if (!strcmp(w->nodes[kids_of(&w->nodes[parent])[k]].name, name))
            return sl_err_set(err, "parquet tree writer: duplicate field name %s", name);
    return 0;
}

/* Fills the leaves (path, levels, physical type) in pre-order. */
static void collect_leaves(pq_tree_writer *w, size_t n, const char **path, size_t depth) {
    tnode *t = &w->nodes[n];
    if (n) path[depth - 1] = t->name;
    if (t->kind == TN_LEAF) {
        tleaf *l = &w->leaves[t->leaf0];
        l->node = n;
        l->npath = depth;
        l->path = sl_calloc(depth, sizeof *l->path);
        for (size_t k = 0; k < depth; k++) l->path[k] = sl_strdup(path[k]);
        l->max_def = t->def;
        l->max_rep = t->rep;
        switch (t->type) {
        case PQ_BOOLEAN: l->phys = PQW_T_BOOLEAN, l->width = 1; break;
        case PQ_INT32: l->phys = PQW_T_INT32, l->width = 4; break;
        case PQ_DOUBLE: l->phys = PQW_T_DOUBLE, l->width = 8; break;
        case PQ_STRING: l->phys = PQW_T_BYTE_ARRAY, l->width = 0; break;
        default: l->phys = PQW_T_INT64, l->width = 8;
        }
        pqw_stats_init(&l->stats, t->type);
        return;
    }
    for (size_t k = 0; k < t->nkids; k++) collect_leaves(w, kids_of(t)[k], path, depth + 1);
}

static void free_tree_writer(pq_tree_writer *w) {
    for (size_t i = 0; i < w->nnodes; i++) {
        free(w->nodes[i].name);
        free(w->nodes[i].more);
    }
    free(w->nodes);
    for (size_t j = 0; w->leaves && j < w->nleaves; j++) {
        tleaf *l = &w->leaves[j];
        for (size_t k = 0; k < l->npath; k++) free(l->path[k]);
        free(l->path);
        sl_buf_free(&l->defs);
        sl_buf_free(&l->reps);
        sl_buf_free(&l->plain);
        sl_buf_free(&l->chunk);
        pqw_stats_free(&l->stats);
    }
    free(w->leaves);
    free(w->lv);
    pqw_file_free(&w->f);
    free(w);
}

pq_tree_writer *pq_tree_open(const pq_node *nodes, size_t nnodes, const pq_writer_opts *opts,
                             pq_sink sink, sl_err *err) {
    if (!nodes || nnodes == 0) {
        sl_err_set(err, "parquet tree writer: a schema needs at least one field");
        return NULL;
    }
    if (!sink.write) {
        sl_err_set(err, "parquet tree writer: no sink");
        return NULL;
    }
    pq_tree_writer *w = sl_calloc(1, sizeof *w);
    size_t root = add_node(w, "schema", TN_GROUP, PQW_REP_REQUIRED, PQ_OTHER, 0, 0);
    size_t top = 0; /* top-level fields: count them first, for add_kid */
    for (size_t i = 0; i < nnodes; top++) {
        size_t need = 1; /* skip one subtree */
        while (need && i < nnodes) {
            const pq_node *s = &nodes[i++];
            need--;
            need += s->kind == PQ_NODE_STRUCT ? s->nfields
                    : s->kind == PQ_NODE_LIST ? 1
                    : s->kind == PQ_NODE_MAP  ? 2
                                              : 0;
        }
    }
    size_t i = 0;
    while (i < nnodes)
        if (build(w, nodes, nnodes, &i, root, top, NULL, 1, err) < 0) {
            free_tree_writer(w);
            return NULL;
        }
    w->nodes[root].leaf1 = w->nleaves;
    if (w->nleaves > 32767) {
        sl_err_set(err, "parquet tree writer: too many columns (%zu)", w->nleaves);
        free_tree_writer(w);
        return NULL;
    }
    w->leaves = sl_calloc(w->nleaves, sizeof *w->leaves);
    const char *path[TW_MAX_DEPTH + 1];
    collect_leaves(w, root, path, 0);
    if (pqw_file_open(&w->f, opts, sink, err) < 0) {
        free_tree_writer(w);
        return NULL;
    }
    w->stack[0] = (tframe){.node = root};
    w->depth = 1;
    return w;
}

/* ---- shredding -------------------------------------------------------- */

static void put_entry(tleaf *l, int def, int rep) {
    sl_buf_putc(&l->defs, (uint8_t)def);
    sl_buf_putc(&l->reps, (uint8_t)rep);
    l->page_entries++;
    if (def < l->max_def) l->stats.null_count++;
}

/* One entry at (def, rep) for every leaf under node t. */
static void put_empty(pq_tree_writer *w, size_t t, int def, int rep) {
    for (size_t j = w->nodes[t].leaf0; j < w->nodes[t].leaf1; j++)
        put_entry(&w->leaves[j], def, rep);
}

/* The node that the next call fills, and the repetition level of its
 * first entries; advances the open group past it. -1 on a mistake. */
static long take_target(pq_tree_writer *w, int *rep) {
    if (w->bad) return -1;
    tframe *f = &w->stack[w->depth - 1];
    tnode *n = &w->nodes[f->node];
    if (n->kind == TN_GROUP) {
        if (f->next >= n->nkids) {
            tw_fail(w, "%s: more fields given than it has", f->node ? n->name : "row");
            return -1;
        }
        *rep = f->occ_rep;
        return (long)kids_of(n)[f->next++];
    }
    tnode *g = &w->nodes[n->kids[0]];
    if (f->next == 0) f->cur_rep = f->count == 0 ? f->occ_rep : g->rep;
    *rep = f->cur_rep;
    size_t k = kids_of(g)[f->next++];
    if (f->next == g->nkids) f->next = 0, f->count++;
    return (long)k;
}

static tleaf *value_target(pq_tree_writer *w, pq_type type, int *rep) {
    long t = take_target(w, rep);
    if (t < 0) return NULL;
    tnode *n = &w->nodes[t];
    if (n->kind != TN_LEAF) {
        tw_fail(w, "%s is a group: give it with pq_tree_begin or pq_tree_null", n->name);
        return NULL;
    }
    bool ok = n->type == type || (type == PQ_INT64 && n->type == PQ_TIMESTAMP_US);
    if (!ok) {
        tw_fail(w, "%s is %s, given %s", n->name, pq_type_name(n->type), pq_type_name(type));
        return NULL;
    }
    tleaf *l = &w->leaves[n->leaf0];
    put_entry(l, l->max_def, *rep);
    return l;
}

void pq_tree_bool(pq_tree_writer *w, bool v) {
    int rep;
    tleaf *l = value_target(w, PQ_BOOLEAN, &rep);
    if (!l) return;
    sl_buf_putc(&l->plain, v ? 1 : 0);
    pqw_stats_int(&l->stats, v ? 1 : 0);
}

void pq_tree_i32(pq_tree_writer *w, int32_t v) {
    int rep;
    tleaf *l = value_target(w, PQ_INT32, &rep);
    if (!l) return;
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    sl_buf_append(&l->plain, b, 4);
    pqw_stats_int(&l->stats, v);
}

void pq_tree_i64(pq_tree_writer *w, int64_t v) {
    int rep;
    tleaf *l = value_target(w, PQ_INT64, &rep);
    if (!l) return;
    uint8_t b[8];
    for (int k = 0; k < 8; k++) b[k] = (uint8_t)((uint64_t)v >> (8 * k));
    sl_buf_append(&l->plain, b, 8);
    pqw_stats_int(&l->stats, v);
}

void pq_tree_f64(pq_tree_writer *w, double v) {
    int rep;
    tleaf *l = value_target(w, PQ_DOUBLE, &rep);
    if (!l) return;
    uint64_t u;
    memcpy(&u, &v, 8);
    uint8_t b[8];
    for (int k = 0; k < 8; k++) b[k] = (uint8_t)(u >> (8 * k));
    sl_buf_append(&l->plain, b, 8);
    pqw_stats_double(&l->stats, v);
}

void pq_tree_str(pq_tree_writer *w, const char *p, size_t n) {
    if (n > UINT32_MAX) {
        tw_fail(w, "a string of %zu bytes is too long", n);
        return;
    }
    int rep;
    tleaf *l = value_target(w, PQ_STRING, &rep);
    if (!l) return;
    uint8_t b[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
    sl_buf_append(&l->plain, b, 4);
    sl_buf_append(&l->plain, p, n);
    pqw_stats_str(&l->stats, p, n);
}

void pq_tree_null(pq_tree_writer *w) {
    int rep;
    long t = take_target(w, &rep);
    if (t < 0) return;
    tnode *n = &w->nodes[t];
    if (n->repetition != PQW_REP_OPTIONAL) {
        tw_fail(w, "%s is REQUIRED: it cannot be null", n->name);
        return;
    }
    put_empty(w, (size_t)t, n->def - 1, rep);
}

void pq_tree_begin(pq_tree_writer *w) {
    int rep;
    long t = take_target(w, &rep);
    if (t < 0) return;
    tnode *n = &w->nodes[t];
    if (n->kind == TN_LEAF) {
        tw_fail(w, "%s is a leaf: give it a value", n->name);
        return;
    }
    if (w->depth > TW_MAX_DEPTH) { /* cannot happen: the schema is no deeper */
        tw_fail(w, "groups nested too deep");
        return;
    }
    w->stack[w->depth++] = (tframe){.node = (size_t)t, .occ_rep = rep};
}

/* Closes the top group: fields not given become null. */
static void close_group(pq_tree_writer *w) {
    tframe *f = &w->stack[w->depth - 1];
    tnode *n = &w->nodes[f->node];
    if (n->kind == TN_GROUP) {
        for (size_t k = f->next; k < n->nkids; k++) {
            tnode *c = &w->nodes[kids_of(n)[k]];
            if (c->repetition != PQW_REP_OPTIONAL) {
                tw_fail(w, "%s: REQUIRED field %s not given", f->node ? n->name : "row", c->name);
                return;
            }
            put_empty(w, kids_of(n)[k], c->def - 1, f->occ_rep);
        }
        return;
    }
    tnode *g = &w->nodes[n->kids[0]];
    if (f->next != 0) { /* a map key without its value */
        tnode *v = &w->nodes[kids_of(g)[f->next]];
        if (v->repetition != PQW_REP_OPTIONAL) {
            tw_fail(w, "%s: a key without its value", n->name);
            return;
        }
        put_empty(w, kids_of(g)[f->next], v->def - 1, f->cur_rep);
        f->next = 0;
        f->count++;
    }
    if (f->count == 0) put_empty(w, f->node, n->def, f->occ_rep);
}

void pq_tree_end(pq_tree_writer *w) {
    if (w->bad) return;
    if (w->depth <= 1) {
        tw_fail(w, "pq_tree_end without an open group");
        return;
    }
    close_group(w);
    w->depth--;
}

/* ---- pages and row groups --------------------------------------------- */

static size_t page_estimate(const tleaf *l) {
    size_t v = l->phys == PQW_T_BOOLEAN ? (l->plain.len + 7) / 8 : l->plain.len;
    return v + l->page_entries / 2;
}

static void put_levels(pq_tree_writer *w, const sl_buf *lv, int max) {
    if (max == 0) return;
    if (w->lv_cap < lv->len) {
        w->lv_cap = lv->len;
        w->lv = sl_realloc(w->lv, w->lv_cap * sizeof *w->lv);
    }
    for (size_t i = 0; i < lv->len; i++) w->lv[i] = lv->data[i];
    size_t at = w->f.page.len;
    sl_buf_append(&w->f.page, "\0\0\0\0", 4);
    pqw_rle_encode(&w->f.page, pqw_bit_width((uint32_t)max), w->lv, lv->len);
    size_t n = w->f.page.len - at - 4;
    for (int i = 0; i < 4; i++) w->f.page.data[at + (size_t)i] = (uint8_t)(n >> (8 * i));
}

static int finish_page(pq_tree_writer *w, tleaf *l, sl_err *err) {
    if (l->page_entries == 0) return 0;
    sl_buf *pg = &w->f.page;
    pg->len = 0;
    put_levels(w, &l->reps, l->max_rep);
    put_levels(w, &l->defs, l->max_def);
    if (l->phys == PQW_T_BOOLEAN) {
        size_t nb = (l->plain.len + 7) / 8;
        sl_buf_reserve(pg, nb);
        memset(pg->data + pg->len, 0, nb);
        for (size_t i = 0; i < l->plain.len; i++)
            if (l->plain.data[i]) pg->data[pg->len + i / 8] |= (uint8_t)(1u << (i % 8));
        pg->len += nb;
    } else {
        sl_buf_append(pg, l->plain.data, l->plain.len);
    }
    if ((uint64_t)pg->len > INT32_MAX)
        return sl_err_set(err, "parquet tree writer: a page of %zu bytes exceeds 2 GiB", pg->len);
    w->f.zpage.len = 0;
    if (pqw_compress(w->f.comp, pg->data, pg->len, &w->f.zpage, err) < 0) return -1;
    pqw_thrift t;
    pqw_data_page_header(&t, &w->f.hdr, pg->len, w->f.zpage.len, (uint32_t)l->page_entries,
                         PQW_ENC_PLAIN);
    sl_buf_append(&l->chunk, w->f.hdr.data, w->f.hdr.len);
    sl_buf_append(&l->chunk, w->f.zpage.data, w->f.zpage.len);
    l->chunk_unc += w->f.hdr.len + pg->len;
    l->chunk_entries += l->page_entries;
    l->defs.len = l->reps.len = l->plain.len = 0;
    l->page_entries = 0;
    return 0;
}

static int write_chunk(pq_tree_writer *w, tleaf *l, uint64_t *unc, uint64_t *comp, sl_err *err) {
    if (finish_page(w, l, err) < 0) return -1;
    uint64_t start = w->f.pos;
    if (pqw_file_put(&w->f, l->chunk.data, l->chunk.len, err) < 0) return -1;
    pqw_thrift t;
    pqw_tc_init(&t, &w->f.colmeta);
    pqw_tc_struct_begin(&t); /* ColumnChunk */
    pqw_tc_field_i64(&t, 2, (int64_t)start);
    pqw_tc_field_struct(&t, 3); /* ColumnMetaData */
    pqw_tc_field_i32(&t, 1, l->phys);
    pqw_tc_field_list(&t, 2, PQW_TC_I32, 2);
    pqw_tc_i32(&t, PQW_ENC_PLAIN);
    pqw_tc_i32(&t, PQW_ENC_RLE);
    pqw_tc_field_list(&t, 3, PQW_TC_BINARY, (uint32_t)l->npath);
    for (size_t k = 0; k < l->npath; k++) pqw_tc_binary(&t, l->path[k], strlen(l->path[k]));
    pqw_tc_field_i32(&t, 4, (int32_t)w->f.o.codec);
    pqw_tc_field_i64(&t, 5, (int64_t)l->chunk_entries);
    pqw_tc_field_i64(&t, 6, (int64_t)l->chunk_unc);
    pqw_tc_field_i64(&t, 7, (int64_t)l->chunk.len);
    pqw_tc_field_i64(&t, 9, (int64_t)start);
    pqw_stats_encode(&l->stats, &t, 12);
    pqw_tc_struct_end(&t);
    pqw_tc_struct_end(&t);
    *unc += l->chunk_unc;
    *comp += l->chunk.len;
    l->chunk.len = 0;
    l->chunk_unc = l->chunk_entries = 0;
    pqw_stats_reset(&l->stats);
    return 0;
}

static int flush_row_group(pq_tree_writer *w, sl_err *err) {
    if (w->f.rg_rows == 0) return 0;
    uint64_t start = w->f.pos, unc = 0, comp = 0;
    w->f.colmeta.len = 0;
    for (size_t j = 0; j < w->nleaves; j++)
        if (write_chunk(w, &w->leaves[j], &unc, &comp, err) < 0) {
            w->f.failed = true;
            return -1;
        }
    pqw_file_row_group(&w->f, w->nleaves, start, unc, comp);
    return 0;
}

int pq_tree_row_end(pq_tree_writer *w, sl_err *err) {
    if (!w->bad && w->depth != 1) tw_fail(w, "row ended with %d groups open", w->depth - 1);
    if (!w->bad) close_group(w);
    if (w->bad) {
        w->f.failed = true;
        return sl_err_set(err, "parquet tree writer: %s", w->why);
    }
    if (w->f.failed) return sl_err_set(err, "parquet tree writer: an earlier write failed");
    w->stack[0].next = 0;
    w->f.rows++;
    w->f.rg_rows++;
    size_t est = 0;
    for (size_t j = 0; j < w->nleaves; j++) {
        tleaf *l = &w->leaves[j];
        if (page_estimate(l) >= w->f.o.page_bytes && finish_page(w, l, err) < 0) {
            w->f.failed = true;
            return -1;
        }
        est += l->chunk_unc + page_estimate(l);
    }
    if (w->f.rg_rows >= w->f.o.row_group_rows || est >= w->f.o.row_group_bytes)
        return flush_row_group(w, err);
    return 0;
}

static void encode_node(const pq_tree_writer *w, pqw_thrift *t, size_t i) {
    const tnode *n = &w->nodes[i];
    pqw_tc_struct_begin(t);
    if (n->kind == TN_LEAF) {
        const tleaf *l = &w->leaves[n->leaf0];
        pqw_tc_field_i32(t, 1, l->phys);
        pqw_tc_field_i32(t, 3, n->repetition);
        pqw_tc_field_binary(t, 4, n->name, strlen(n->name));
        pqw_leaf_type(t, n->type);
    } else {
        if (i) pqw_tc_field_i32(t, 3, n->repetition);
        pqw_tc_field_binary(t, 4, n->name, strlen(n->name));
        pqw_tc_field_i32(t, 5, (int32_t)n->nkids);
        if (n->kind == TN_LIST || n->kind == TN_MAP) {
            pqw_tc_field_i32(t, 6, n->kind == TN_LIST ? TW_CONV_LIST : TW_CONV_MAP);
            pqw_tc_field_struct(t, 10);
            pqw_tc_field_struct(t, n->kind == TN_LIST ? 3 : 2); /* LIST, MAP */
            pqw_tc_struct_end(t);
            pqw_tc_struct_end(t);
        }
    }
    pqw_tc_struct_end(t);
}

static void encode_schema(void *ctx, pqw_thrift *t) {
    const pq_tree_writer *w = ctx;
    pqw_tc_field_list(t, 2, PQW_TC_STRUCT, (uint32_t)w->nnodes);
    for (size_t i = 0; i < w->nnodes; i++) encode_node(w, t, i);
}

int pq_tree_close(pq_tree_writer *w, pq_file_info *info, sl_err *err) {
    int rc = 0;
    if (w->bad || w->f.failed)
        rc =
            sl_err_set(err, "parquet tree writer: %s", w->bad ? w->why : "an earlier write failed");
    else if (w->stack[0].next != 0 || w->depth != 1)
        rc = sl_err_set(err, "parquet tree writer: closed inside a row");
    if (rc == 0) rc = flush_row_group(w, err);
    if (rc == 0) rc = pqw_file_finish(&w->f, w->nleaves, encode_schema, w, info, err);
    free_tree_writer(w);
    return rc;
}

void pq_tree_abort(pq_tree_writer *w) {
    if (w) free_tree_writer(w);
}

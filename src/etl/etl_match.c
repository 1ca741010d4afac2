/* etl match index: which catalog song a play is (SPEC 2: title equals the
 * event's song, artist_name its artist, duration its length as doubles; of
 * several such songs the smallest song_id).
 *
 * Built once from the catalog, read by every parse worker without locks.
 * Plays are looked up by duration first: a 2^20-bit bitmap of hashed catalog
 * durations turns most plays that match nothing away in one probe, and an
 * open-addressing table keyed by the duration's bits leads to the (title,
 * artist_name) pairs with that duration, usually one. A play so costs one
 * multiply, a probe or two and two short compares, with no key to build or
 * hash. */
#include <stdlib.h>
#include <string.h>

#include "etl/etl_internal.h"

struct etl_match_node {
    const char *title, *artist;
    uint32_t tlen, alen;
    uint32_t song; /* index into e->songs: the smallest song_id of the pair */
    uint32_t next; /* next pair with this duration, + 1; 0 ends */
};

struct etl_match_slot {
    uint64_t dur;  /* the duration's bits */
    uint32_t head; /* first pair, + 1; 0: empty slot */
};

static uint64_t dur_key(double d) {
    uint64_t x;
    if (d == 0) d = 0; /* -0.0 equals 0.0 */
    memcpy(&x, &d, 8);
    return x;
}

static uint64_t dur_hash(uint64_t x) {
    return x * UINT64_C(0x9E3779B97F4A7C15);
}

void etl_match_free(etl *e) {
    free(e->mslots);
    free(e->mnodes);
    free(e->dur_bits);
    e->mslots = NULL;
    e->mnodes = NULL;
    e->dur_bits = NULL;
    e->mbits = 0;
}

static bool song_id_less(const song_rec *a, const song_rec *b) {
    size_t m = a->song_id.len < b->song_id.len ? a->song_id.len : b->song_id.len;
    int c = memcmp(a->song_id.ptr, b->song_id.ptr, m);
    return c < 0 || (c == 0 && a->song_id.len < b->song_id.len);
}

static struct etl_match_slot *slot_of(const etl *e, uint64_t x) {
    size_t mask = ((size_t)1 << e->mbits) - 1;
    size_t i = (size_t)(dur_hash(x) >> (64 - e->mbits));
    while (e->mslots[i].head && e->mslots[i].dur != x) i = (i + 1) & mask;
    return &e->mslots[i];
}

void etl_build_match_index(etl *e) {
    etl_match_free(e);
    size_t words = ((size_t)1 << ETL_DUR_BITS) / 64;
    e->dur_bits = sl_calloc(words, 8);
    e->mbits = 4;
    while (((size_t)1 << e->mbits) < e->songs.len * 2) e->mbits++; /* load <= 1/2 */
    e->mslots = sl_calloc((size_t)1 << e->mbits, sizeof *e->mslots);
    e->mnodes = sl_malloc((e->songs.len ? e->songs.len : 1) * sizeof *e->mnodes);
    uint32_t nnodes = 0;
    for (size_t i = 0; i < e->songs.len; i++) {
        const song_rec *s = &SL_VEC_AT(&e->songs, song_rec, i);
        if (!s->title.ptr || !s->artist_name.ptr || !s->has_duration) continue;
        uint64_t x = dur_key(s->duration);
        size_t b = (size_t)(dur_hash(x) >> (64 - ETL_DUR_BITS));
        e->dur_bits[b / 64] |= UINT64_C(1) << (b % 64);
        struct etl_match_slot *sl = slot_of(e, x);
        uint32_t *link = &sl->head;
        sl->dur = x;
        for (; *link; link = &e->mnodes[*link - 1].next) {
            struct etl_match_node *n = &e->mnodes[*link - 1];
            if (n->tlen == s->title.len && n->alen == s->artist_name.len &&
                !memcmp(n->title, s->title.ptr, n->tlen) &&
                !memcmp(n->artist, s->artist_name.ptr, n->alen))
                break;
        }
        if (*link) { /* the same (title, artist, duration) again */
            struct etl_match_node *n = &e->mnodes[*link - 1];
            if (song_id_less(s, &SL_VEC_AT(&e->songs, song_rec, n->song))) n->song = (uint32_t)i;
            continue;
        }
        e->mnodes[nnodes] = (struct etl_match_node){s->title.ptr, s->artist_name.ptr, s->title.len,
                                                     s->artist_name.len, (uint32_t)i, 0};
        *link = ++nnodes;
    }
}

int32_t etl_find_match(const etl *e, sl_str song, sl_str artist, double length) {
    if (!song.ptr || !artist.ptr || !e->mslots) return -1;
    uint64_t x = dur_key(length);
    uint64_t h = dur_hash(x);
    size_t b = (size_t)(h >> (64 - ETL_DUR_BITS));
    if (!(e->dur_bits[b / 64] >> (b % 64) & 1)) return -1;
    size_t mask = ((size_t)1 << e->mbits) - 1;
    for (size_t i = (size_t)(h >> (64 - e->mbits));; i = (i + 1) & mask) {
        const struct etl_match_slot *sl = &e->mslots[i];
        if (!sl->head) return -1;
        if (sl->dur != x) continue;
        for (uint32_t k = sl->head; k; k = e->mnodes[k - 1].next) {
            const struct etl_match_node *n = &e->mnodes[k - 1];
            if (n->tlen == song.len && n->alen == artist.len && !memcmp(n->title, song.ptr, song.len) &&
                !memcmp(n->artist, artist.ptr, artist.len))
                return (int32_t)n->song;
        }
        return -1;
    }
}

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

/* A (title, artist_name) pair in m->mpairs, its bytes right after it, so
 * a hit reads one or two cache lines: the pairs of one duration are chained
 * by offset. */
typedef struct pair {
    uint64_t dur;  /* the duration's bits */
    uint32_t next; /* next pair with this duration: offset + 1; 0 ends */
    uint32_t song; /* index into e->songs: the smallest song_id of the pair */
    uint32_t tlen, alen;
} pair;

struct etl_match_slot {
    uint32_t tag;  /* the duration's hash, low half */
    uint32_t head; /* first pair: offset + 1; 0: empty slot */
};

static uint64_t dur_key(double d) {
    uint64_t x;
    if (d == 0) d = 0; /* -0.0 equals 0.0 */
    memcpy(&x, &d, 8);
    return x;
}

/* murmur3's fmix64: the high bits pick the bitmap bit and the slot, the
 * low half is the slot's tag */
static uint64_t dur_hash(uint64_t x) {
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

void etl_match_free(etl_match *m) {
    free(m->mslots);
    sl_buf_free(&m->mpairs);
    free(m->dur_bits);
    m->mslots = NULL;
    m->dur_bits = NULL;
    m->mbits = 0;
}

static bool song_id_less(const song_rec *a, const song_rec *b) {
    size_t m = a->song_id.len < b->song_id.len ? a->song_id.len : b->song_id.len;
    int c = memcmp(a->song_id.ptr, b->song_id.ptr, m);
    return c < 0 || (c == 0 && a->song_id.len < b->song_id.len);
}

static pair *pair_at(const etl_match *m, uint32_t link) {
    return (pair *)(void *)(m->mpairs.data + link - 1);
}

static bool pair_is(const pair *p, const char *title, size_t tlen, const char *artist,
                    size_t alen) {
    const char *b = (const char *)(p + 1);
    return p->tlen == tlen && p->alen == alen && !memcmp(b, title, tlen) &&
           !memcmp(b + tlen, artist, alen);
}

static struct etl_match_slot *slot_of(const etl_match *m, uint64_t x) {
    size_t mask = ((size_t)1 << m->mbits) - 1;
    uint64_t h = dur_hash(x);
    size_t i = (size_t)(h >> (64 - m->mbits));
    while (m->mslots[i].head &&
           (m->mslots[i].tag != (uint32_t)h || pair_at(m, m->mslots[i].head)->dur != x))
        i = (i + 1) & mask;
    m->mslots[i].tag = (uint32_t)h;
    return &m->mslots[i];
}

void etl_build_match_index(etl *e) {
    etl_match *m = &e->match;
    etl_match_free(m);
    size_t words = ((size_t)1 << ETL_DUR_BITS) / 64;
    m->dur_bits = sl_calloc(words, 8);
    m->mbits = 4;
    while (((size_t)1 << m->mbits) < e->songs.len * 2) m->mbits++; /* load <= 1/2 */
    m->mslots = sl_calloc((size_t)1 << m->mbits, sizeof *m->mslots);
    for (size_t i = 0; i < e->songs.len; i++) {
        const song_rec *s = &SL_VEC_AT(&e->songs, song_rec, i);
        if (!s->title.ptr || !s->artist_name.ptr || !s->has_duration) continue;
        uint64_t x = dur_key(s->duration);
        size_t b = (size_t)(dur_hash(x) >> (64 - ETL_DUR_BITS));
        m->dur_bits[b / 64] |= UINT64_C(1) << (b % 64);
        uint32_t *link = &slot_of(m, x)->head, off;
        while (*link && !pair_is(pair_at(m, *link), s->title.ptr, s->title.len, s->artist_name.ptr,
                                 s->artist_name.len))
            link = &pair_at(m, *link)->next;
        if (*link) { /* the same (title, artist, duration) again */
            pair *p = pair_at(m, *link);
            if (song_id_less(s, &SL_VEC_AT(&e->songs, song_rec, p->song))) p->song = (uint32_t)i;
            continue;
        }
        size_t need = sizeof(pair) + s->title.len + s->artist_name.len;
        need = (need + 7) & ~(size_t)7;
        if (m->mpairs.len + need >= UINT32_MAX) break; /* 4 GiB of titles: the rest match nothing */
        off = (uint32_t)m->mpairs.len;
        ptrdiff_t at = (const uint8_t *)link - m->mpairs.data; /* link may be inside mpairs */
        bool inside = m->mpairs.data && at >= 0 && (size_t)at < m->mpairs.len;
        sl_buf_reserve(&m->mpairs, need);
        if (inside) link = (uint32_t *)(void *)(m->mpairs.data + at);
        pair p = {x, 0, (uint32_t)i, s->title.len, s->artist_name.len};
        uint8_t *o = m->mpairs.data + off;
        memset(o, 0, need);
        memcpy(o, &p, sizeof p);
        memcpy(o + sizeof p, s->title.ptr, s->title.len);
        memcpy(o + sizeof p + s->title.len, s->artist_name.ptr, s->artist_name.len);
        m->mpairs.len += need;
        *link = off + 1;
    }
}

void etl_match_prefetch(const etl_match *m, double length) {
    if (!m->mslots) return;
    uint64_t h = dur_hash(dur_key(length));
    size_t b = (size_t)(h >> (64 - ETL_DUR_BITS));
    __builtin_prefetch(&m->dur_bits[b / 64]);
    __builtin_prefetch(&m->mslots[h >> (64 - m->mbits)]);
}

int32_t etl_find_match(const etl_match *m, sl_str song, sl_str artist, double length) {
    if (!song.ptr || !artist.ptr || !m->mslots) return -1;
    uint64_t x = dur_key(length);
    uint64_t h = dur_hash(x);
    size_t b = (size_t)(h >> (64 - ETL_DUR_BITS));
    if (!(m->dur_bits[b / 64] >> (b % 64) & 1)) return -1;
    size_t mask = ((size_t)1 << m->mbits) - 1;
    for (size_t i = (size_t)(h >> (64 - m->mbits));; i = (i + 1) & mask) {
        const struct etl_match_slot *sl = &m->mslots[i];
        if (!sl->head) return -1;
        if (sl->tag != (uint32_t)h || pair_at(m, sl->head)->dur != x) continue;
        for (uint32_t k = sl->head; k; k = pair_at(m, k)->next) {
            const pair *p = pair_at(m, k);
            if (pair_is(p, song.ptr, song.len, artist.ptr, artist.len)) return (int32_t)p->song;
        }
        return -1;
    }
}

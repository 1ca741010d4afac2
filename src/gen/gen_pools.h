/* gen_pools: the word lists and sample-derived strings the generator draws
 * from (private to src/gen). Strings are plain UTF-8; the writers escape. */
#ifndef SONGLAKE_GEN_POOLS_H
#define SONGLAKE_GEN_POOLS_H

#include <stddef.h>

extern const char *const gen_pool_words[];
extern const size_t gen_pool_nwords;
extern const char *const gen_pool_first_m[];
extern const size_t gen_pool_nfirst_m;
extern const char *const gen_pool_first_f[];
extern const size_t gen_pool_nfirst_f;
extern const char *const gen_pool_last[];
extern const size_t gen_pool_nlast;
extern const char *const gen_pool_locations[]; /* users' metro areas */
extern const size_t gen_pool_nlocations;
extern const char *const gen_pool_places[]; /* artists' locations */
extern const size_t gen_pool_nplaces;
/* already JSON-escaped as the sample writes them (slashes escaped, some quoted) */
extern const char *const gen_pool_agents[];
extern const size_t gen_pool_nagents;

#endif

#include <sqlite3.h>

/* sqlite3_config is variadic, which Swift cannot call: a typed wrapper for the one setting used. */
static inline int returnd_sqlite3_disable_memstatus(void) { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }

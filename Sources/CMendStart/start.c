#include "mend_start.h"
#include <limits.h>
#include <unistd.h>

/* The Swift runtime finds itself through /proc/self/exe before main runs, and without /proc it
 * aborts with "Unable to obtain Swift runtime path". A constructor that runs before the runtime's
 * own says what is missing instead, and exits 71 (EX_OSERR): the system lacks what mend needs. */
__attribute__((constructor(101))) static void mend_require_proc(void) {
    char path[PATH_MAX];
    if (readlink("/proc/self/exe", path, sizeof path) >= 0) return;
    static const char message[] =
        "mend: /proc is not mounted: mend reads itself, processes and kernel settings there; "
        "mount it first (mount -t proc proc /proc)\n";
    (void)!write(2, message, sizeof message - 1);
    _exit(71);
}

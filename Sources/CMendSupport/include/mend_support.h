#ifndef MEND_SUPPORT_H
#define MEND_SUPPORT_H

/* Not exported by Swift's Glibc module: extended attributes keep a file's SELinux label. */
#include <sys/xattr.h>
#include <spawn.h>
/* Nor is adjtimex(2), which the clock namespace reads (modes 0: read only). */
#include <sys/timex.h>

/* pipe2(fds, O_CLOEXEC): both ends close-on-exec from the start. Returns 0, or -1 with errno. */
int mend_pipe_cloexec(int fds[2]);

/* posix_spawn_file_actions_addchdir_np (glibc 2.29+): the child starts in `path`. Returns 0 or an errno. */
int mend_spawn_add_chdir(posix_spawn_file_actions_t *actions, const char *path);

/* POSIX_SPAWN_SETSID (glibc 2.26+): the flag that starts the child in a session of its own. */
short mend_spawn_setsid_flag(void);

/* Interrupt requests for a running runbook. Signal handlers and the step timer set a reason; the
   interpreter polls it at loop back-edges and calls, and the engine stops and rolls back.
   Kept in C: a signal handler may only touch a lock-free atomic. */

enum {
    MEND_INTERRUPT_NONE = 0,
    MEND_INTERRUPT_SIGINT = 1,
    MEND_INTERRUPT_SIGTERM = 2,
    MEND_INTERRUPT_TIMEOUT = 3,
    MEND_INTERRUPT_SIGHUP = 4,
    MEND_INTERRUPT_MEMORY = 5,
};

extern int mend_interrupt_reason;

/* The pending reason, MEND_INTERRUPT_NONE when none; cheap enough for the interpreter's hot loop. */
static inline int mend_interrupt_pending(void) {
    return __atomic_load_n(&mend_interrupt_reason, __ATOMIC_RELAXED);
}

/* Clears the pending reason and returns it. */
int mend_interrupt_take(void);

/* SIGINT, SIGTERM and SIGHUP set a reason instead of ending the process, and SIGPIPE is ignored
   (idempotent). */
void mend_interrupt_install(void);

/* Restores the default SIGINT, SIGTERM, SIGHUP and SIGPIPE dispositions. */
void mend_interrupt_uninstall(void);

/* Sets MEND_INTERRUPT_TIMEOUT after `nanoseconds` (a one-shot real-time timer); 0 disarms it. */
void mend_interrupt_arm_timeout(long long nanoseconds);

/* The run's memory budget: a thread sets MEND_INTERRUPT_MEMORY once this process's resident size
   passes `limit` bytes, then ends. Start returns 0 or an errno; stop (idempotent) joins it. */
int mend_memory_watch_start(long long limit);
void mend_memory_watch_stop(void);
/* The limit of the last watch started, in bytes. */
long long mend_memory_watch_limit(void);

/* The REPL's line editor: SIGCONT (after Ctrl-Z and `fg`) sets a flag, so the terminal can be
   put back into line-editing mode; returns and clears it. */
void mend_continued_install(void);
int mend_continued_take(void);

#endif

/* The memory budget of a run: a thread that reads this process's resident size every few
 * milliseconds and, past the limit, sets the interrupt reason the interpreter polls. In C, with
 * every signal blocked in the thread, so it never takes a signal meant to wake the main thread. */
#define _GNU_SOURCE
#include "mend_support.h"
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static pthread_t watch_thread;
static int watch_running = 0;
static int watch_stop = 0;
static long long watch_limit = 0;

/* This process's resident size in bytes (from /proc/self/statm), or -1. */
static long long resident_bytes(void) {
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    char text[128];
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0) return -1;
    text[n] = 0;
    long long size, resident;
    if (sscanf(text, "%lld %lld", &size, &resident) != 2) return -1;
    return resident * (long long)sysconf(_SC_PAGESIZE);
}

static void *watch(void *unused) {
    (void)unused;
    struct timespec pause = {0, 5 * 1000 * 1000};
    while (!__atomic_load_n(&watch_stop, __ATOMIC_RELAXED)) {
        if (resident_bytes() > watch_limit) {
            __atomic_store_n(&mend_interrupt_reason, MEND_INTERRUPT_MEMORY, __ATOMIC_RELAXED);
            break;
        }
        nanosleep(&pause, NULL);
    }
    return NULL;
}

int mend_memory_watch_start(long long limit) {
    mend_memory_watch_stop();
    watch_limit = limit;
    __atomic_store_n(&watch_stop, 0, __ATOMIC_RELAXED);
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    int rc = pthread_create(&watch_thread, NULL, watch, NULL);
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    if (rc == 0) watch_running = 1;
    return rc;
}

long long mend_memory_watch_limit(void) {
    return watch_limit;
}

void mend_memory_watch_stop(void) {
    if (!watch_running) return;
    __atomic_store_n(&watch_stop, 1, __ATOMIC_RELAXED);
    pthread_join(watch_thread, NULL);
    watch_running = 0;
}

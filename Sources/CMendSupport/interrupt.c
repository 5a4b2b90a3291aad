#include "mend_support.h"
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>

int mend_interrupt_reason = MEND_INTERRUPT_NONE;

static void on_signal(int signo) {
    int reason = MEND_INTERRUPT_TIMEOUT;
    if (signo == SIGINT) reason = MEND_INTERRUPT_SIGINT;
    if (signo == SIGTERM) reason = MEND_INTERRUPT_SIGTERM;
    if (signo == SIGHUP) reason = MEND_INTERRUPT_SIGHUP;
    __atomic_store_n(&mend_interrupt_reason, reason, __ATOMIC_RELAXED);
}

int mend_interrupt_take(void) {
    return __atomic_exchange_n(&mend_interrupt_reason, MEND_INTERRUPT_NONE, __ATOMIC_RELAXED);
}

static void set_handler(int signo, void (*handler)(int)) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    /* No SA_RESTART: a blocking wait returns EINTR and looks at the reason. */
    sigaction(signo, &action, NULL);
}

/* The dispositions mend found, put back when the last engine that installed the handlers ends: a
 * caller's choices outlive the run. Counted under a lock, as an embedder may run engines on several
 * threads at once. (SIGALRM keeps its handler: a step timer may still fire after the run.) */
static const int handled[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
#define HANDLED (int)(sizeof handled / sizeof handled[0])
static struct sigaction saved[HANDLED];
static int installs = 0;
static pthread_mutex_t installs_lock = PTHREAD_MUTEX_INITIALIZER;

void mend_interrupt_install(void) {
    pthread_mutex_lock(&installs_lock);
    if (installs++ == 0) {
        for (int k = 0; k < HANDLED; k++) sigaction(handled[k], NULL, &saved[k]);
    }
    set_handler(SIGINT, on_signal);
    set_handler(SIGTERM, on_signal);
    /* A dropped SSH session hangs up the terminal: roll back as for SIGTERM — unless mend was
     * started to outlive the session (nohup, or a parent that ignores SIGHUP): then it goes on. */
    if (saved[2].sa_handler != SIG_IGN) set_handler(SIGHUP, on_signal);
    set_handler(SIGALRM, on_signal);
    /* With the session gone, a write to its pipe must fail (EPIPE), not kill the run mid-rollback. */
    set_handler(SIGPIPE, SIG_IGN);
    pthread_mutex_unlock(&installs_lock);
    /* A parent may have started mend with these blocked (the mask is inherited): unblock them, or
     * no signal and no step timeout would ever be seen. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGALRM);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

void mend_interrupt_uninstall(void) {
    pthread_mutex_lock(&installs_lock);
    if (installs > 0 && --installs == 0) {
        for (int k = 0; k < HANDLED; k++) sigaction(handled[k], &saved[k], NULL);
    }
    pthread_mutex_unlock(&installs_lock);
}

void mend_interrupt_arm_timeout(long long nanoseconds) {
    struct itimerval timer;
    memset(&timer, 0, sizeof timer);
    if (nanoseconds > 0) {
        long long micros = nanoseconds / 1000;
        if (micros == 0) micros = 1;
        timer.it_value.tv_sec = (time_t)(micros / 1000000);
        timer.it_value.tv_usec = (suseconds_t)(micros % 1000000);
    }
    setitimer(ITIMER_REAL, &timer, NULL);
}

static int mend_continued = 0;

static void on_continue(int signo) {
    (void)signo;
    __atomic_store_n(&mend_continued, 1, __ATOMIC_RELAXED);
}

void mend_continued_install(void) {
    set_handler(SIGCONT, on_continue);
}

int mend_continued_take(void) {
    return __atomic_exchange_n(&mend_continued, 0, __ATOMIC_RELAXED);
}

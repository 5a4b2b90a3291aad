import Glibc

// Shared objects that, preloaded into `mend`, kill it (SIGKILL, as `kill -9` does) at a chosen
// point: faults at exact places, where a timed kill lands wherever the machine's load puts it.

/// The temporary files of atomic writes (`.NAME.mend-…`) in a directory.
func temporaries(in directory: String) -> [String] {
    listDirectory(directory).filter { $0.hasPrefix(".") && $0.contains(".mend-") }
}

/// Builds a shared object that, preloaded, kills its process (SIGKILL) when it flushes a file whose
/// path holds `.mend-`: a write killed between creating its temporary file and renaming it.
func killInTemporaryFsync(in directory: String) throws -> String {
    try writeFile(directory + "/kill-in-fsync.c", """
        #define _GNU_SOURCE
        #include <dlfcn.h>
        #include <signal.h>
        #include <stdio.h>
        #include <string.h>
        #include <unistd.h>
        int fsync(int fd) {
            char link[64], path[4096];
            snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
            ssize_t n = readlink(link, path, sizeof path - 1);
            if (n > 0) {
                path[n] = 0;
                if (strstr(path, ".mend-")) raise(SIGKILL);
            }
            int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
            return real(fd);
        }
        """)
    return try compileShim(directory + "/kill-in-fsync")
}

/// Builds a shared object that counts the calls through which mend changes the world — `write`,
/// `fsync`, `rename`, `renameat`, `mkdir`, `unlink`, `rmdir`, `fchmod`, `fchown` — and kills its
/// process just before call number `MEND_KILL_AT`. With `MEND_CALLS_FILE` set it writes the count
/// there at exit: a whole run's count bounds where a kill can land. Child processes do not inherit it.
func killAtCall(in directory: String) throws -> String {
    try writeFile(directory + "/kill-at-call.c", """
        #define _GNU_SOURCE
        #include <dlfcn.h>
        #include <signal.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <sys/stat.h>
        #include <unistd.h>
        static long calls, killAt;
        static const char *callsFile;
        __attribute__((constructor)) static void start(void) {
            const char *at = getenv("MEND_KILL_AT");
            killAt = at ? atol(at) : 0;
            callsFile = getenv("MEND_CALLS_FILE");
            unsetenv("LD_PRELOAD");
        }
        __attribute__((destructor)) static void finish(void) {
            FILE *out = callsFile ? fopen(callsFile, "w") : NULL;
            if (out) { fprintf(out, "%ld\\n", calls); fclose(out); }
        }
        static void hit(void) { if (__atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST) == killAt) raise(SIGKILL); }
        #define REAL(name) static __typeof__(name) *real; if (!real) real = (__typeof__(name) *)dlsym(RTLD_NEXT, #name); hit()
        ssize_t write(int fd, const void *b, size_t n) { REAL(write); return real(fd, b, n); }
        int fsync(int fd) { REAL(fsync); return real(fd); }
        int rename(const char *a, const char *b) { REAL(rename); return real(a, b); }
        int renameat(int d, const char *a, int e, const char *b) { REAL(renameat); return real(d, a, e, b); }
        int mkdir(const char *p, mode_t m) { REAL(mkdir); return real(p, m); }
        int unlink(const char *p) { REAL(unlink); return real(p); }
        int rmdir(const char *p) { REAL(rmdir); return real(p); }
        int fchmod(int fd, mode_t m) { REAL(fchmod); return real(fd, m); }
        int fchown(int fd, uid_t u, gid_t g) { REAL(fchown); return real(fd, u, g); }
        """)
    return try compileShim(directory + "/kill-at-call")
}

/// Compiles `BASE.c` into `BASE.so` with the toolchain's clang (or cc).
private func compileShim(_ base: String) throws -> String {
    let compiler = access("/opt/swift/usr/bin/clang", X_OK) == 0 ? "/opt/swift/usr/bin/clang" : "cc"
    let status = try system("\(compiler) -shared -fPIC -o \(shellQuote(base + ".so")) \(shellQuote(base + ".c")) -ldl")
    guard status == 0 else { throw TestFailure(description: "cannot build \(base).c (\(compiler) exited \(status))") }
    return base + ".so"
}

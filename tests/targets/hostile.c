/* hostile.c -- a target that attacks the engine instead of (or before)
 * crashing, each behaviour behind a two-byte prefix:
 *   "!F"  forks a child that sleeps 60 s holding every descriptor the worker
 *         has (the reply pipe included); its pid goes to $PFZ_HOSTILE_PIDS;
 *         "!FC" then crashes
 *   "!D"  the same, but the child leaves the process group first (setsid),
 *         as a daemon does; "!DC" then crashes
 *   "!Y"  forks a child that exits at once (never waited for: a zombie),
 *         then crashes
 *   "!X"  closes every descriptor from 3 up (daemon-style clean-up), then
 *         returns
 *   "!W"  writes garbage to fd 4 (the reply channel)
 *   "!Z"  writes garbage over the first bytes of fd 5 (the shared region's
 *         header)
 *   "!T"  truncates fd 5 to nothing
 *   "!K"  SIGKILLs itself
 *   "!C"  crashes (SIGSEGV)
 *   "!H"  hangs
 *   "!L"  crashes when the input has at least 4000 bytes and hangs when it
 *         has fewer (but 100 or more): a minimization of it runs until its
 *         time limit
 * A behaviour is armed only when its letter is in $PFZ_HOSTILE_ARM (so a
 * fuzzing run does not stumble on the others by mutation); with '*' in it,
 * every input aborts at one of two sites (by its first byte's parity).
 * $PFZ_HOSTILE_INIT_SLEEP=N makes LLVMFuzzerInitialize sleep N seconds.
 * On Windows only "!C", "!L", "!H" and the initialisation sleep do anything. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#else
#include <signal.h>
#include <unistd.h>
#endif

#include <portfuzz.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *s = getenv("PFZ_HOSTILE_INIT_SLEEP");

    (void)argc;
    (void)argv;
    if (s != NULL && getenv("PORTFUZZ_WORKER") != NULL) {
#ifdef _WIN32
        Sleep((DWORD)atoi(s) * 1000u);
#else
        sleep((unsigned)atoi(s));
#endif
    }
    return 0;
}

#ifndef _WIN32
static void note_pid(pid_t pid)
{
    const char *path = getenv("PFZ_HOSTILE_PIDS");
    FILE *f;

    if (path != NULL && (f = fopen(path, "a")) != NULL) {
        fprintf(f, "%ld\n", (long)pid);
        fclose(f);
    }
}

static void linger(int leave_group)
{
    pid_t pid = fork();

    if (pid == 0) {
        if (leave_group)
            setsid();
        note_pid(getpid());
        sleep(60);
        _exit(0);
    }
}

static void scribble(int fd)
{
    static const char junk[] = "this is not a frame; this is not a header either..";

    if (write(fd, junk, sizeof junk) < 0)
        return;
}
#endif

static void hang(void)
{
    volatile unsigned long spin = 0;

    for (;;)
        spin++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *armed;

    if (armed == NULL && (armed = getenv("PFZ_HOSTILE_ARM")) == NULL)
        armed = "";
    if (strchr(armed, '*') != NULL) {
        if (size > 0 && (data[0] & 1))
            abort();
        abort();
    }
    if (size < 2 || data[0] != '!' || data[1] == '\0' || strchr(armed, data[1]) == NULL)
        return 0;
    switch (data[1]) {
    case 'C':
        *(volatile int *)(uintptr_t)8 = 1;
        break;
    case 'L':
        if (size >= 4000)
            *(volatile int *)(uintptr_t)8 = 1;
        if (size >= 100)
            hang();
        break;
    case 'H':
        hang();
        break;
#ifndef _WIN32
    case 'F':
    case 'D':
        linger(data[1] == 'D');
        if (size > 2 && data[2] == 'C')
            *(volatile int *)(uintptr_t)8 = 1;
        break;
    case 'Y':
        if (fork() == 0)
            _exit(0);
        usleep(20000); /* the child is a zombie by now */
        *(volatile int *)(uintptr_t)8 = 1;
        break;
    case 'X': {
        int fd;
        for (fd = 3; fd < 1024; fd++)
            close(fd);
        break;
    }
    case 'W':
        scribble(4);
        break;
    case 'Z':
        if (pwrite(5, "garbage!garbage!garbage!", 24, 0) < 0)
            break;
        break;
    case 'T':
        if (ftruncate(5, 0) != 0)
            break; /* refused (a sealed memfd): fine */
        break;
    case 'K':
        kill(getpid(), SIGKILL);
        break;
#endif
    }
    return 0;
}

/* GNU readline for mend's REPL. Swift 6 rejects readline's mutable globals ("not
 * concurrency-safe"), so every global is touched through these static inline helpers, which
 * only the REPL's main thread calls. The REPL reads with the callback interface and poll(2):
 * Swift cannot survive readline's longjmp-free signal handling otherwise, so readline installs
 * no signal handlers of its own (rl_catch_signals = 0) and mend's handler only sets a flag. */
#ifndef MEND_CREADLINE_SHIM_H
#define MEND_CREADLINE_SHIM_H

#include <stdio.h>
#if !__has_include(<readline/readline.h>)
#error "mend's REPL needs GNU readline: apt-get install libreadline-dev (scripts/build and scripts/test install it)"
#endif
#include <readline/readline.h>
#include <readline/history.h>

/* Sets up readline once: the name for ~/.inputrc conditionals, no signal handlers, the
 * completion function. */
static inline void mend_rl_setup(const char *name, rl_completion_func_t *complete, rl_compdisp_func_t *display,
                                 int prompts_on_stderr) {
    rl_readline_name = name;
    rl_catch_signals = 0;
    rl_catch_sigwinch = 1;
    rl_attempted_completion_function = complete;
    rl_completion_display_matches_hook = display;
    /* Words break at code punctuation; the completer computes its own start anyway. Not at
     * quotes: readline would append the quote that broke the word after a unique match. */
    rl_completer_word_break_characters = " \t\n`()[]{},;=+-*/%<>!&|#";
    /* With standard output redirected, prompts and echo stay on the terminal. */
    rl_outstream = prompts_on_stderr ? stderr : stdout;
    /* A multi-line input is one history entry: timestamp lines (`#1764000000`, as bash writes them)
     * in the file mark where each entry starts, and readline reads such a file entry by entry (a
     * file without them, line by line). */
    history_comment_char = '#';
    history_write_timestamps = 1;
}

/* Called at the start of each completion: never fall back to readline's file-name completion,
 * and append nothing unless the completer asks for a space. */
static inline void mend_rl_completion_begin(void) {
    rl_attempted_completion_over = 1;
    rl_completion_append_character = '\0';
}

static inline void mend_rl_completion_append_space(void) {
    rl_completion_append_character = ' ';
}

static inline const char *mend_rl_line_buffer(void) { return rl_line_buffer; }
static inline int mend_rl_point(void) { return rl_point; }

static inline void mend_rl_install(const char *prompt, rl_vcpfunc_t *handler) {
    rl_callback_handler_install(prompt, handler);
}

/* After Ctrl-C: forget the line being edited and move to a fresh line. */
static inline void mend_rl_cancel_line(void) {
    rl_free_line_state();
    rl_callback_sigcleanup();
    rl_replace_line("", 0);
    rl_crlf();
    rl_callback_handler_remove();
}

/* Lists candidates below the line (shortened by the caller), then redraws the prompt and line. */
static inline void mend_rl_display_matches(char **matches, int count, int longest) {
    rl_display_match_list(matches, count, longest);
    rl_forced_update_display();
}

/* After Ctrl-Z and `fg`: the shell left the terminal in its own mode; put readline's back and
 * redraw the line being edited. */
static inline void mend_rl_resume(void) {
    rl_deprep_terminal();
    rl_prep_terminal(1);
    rl_forced_update_display();
}

/* The newest history entry, or NULL: consecutive duplicates are not added twice. */
static inline const char *mend_rl_last_history(void) {
    HIST_ENTRY *entry = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
    return entry ? entry->line : NULL;
}

/* "8.2": for `mend version`. */
static inline const char *mend_rl_version(void) { return rl_library_version; }

#endif

#ifndef CJSONFRAME_H
#define CJSONFRAME_H
/* The inner loop of OVSDB's JSONFrameScanner (Sources/OVSDB/JSONFrameScanner.swift): inside a
 * message, find the byte that closes it, tracking only brackets and strings. In C for SSE2: a
 * 10,000-port monitor dump (2.7 MB) is scanned before it is parsed, and the Swift loop, eight bytes
 * at a time, ran ~25 M instructions on it (callgrind), this one 16 bytes at a time with one mask per
 * byte class. */
#include <stddef.h>
#include <stdint.h>

/* The scanner's state between calls (a message split over several reads). */
typedef struct {
  int64_t depth;          /* brackets open; > 0 inside a message */
  uint64_t open_arrays;   /* bit d: the bracket open at level d is `[` */
  int32_t in_string;      /* inside a string */
  int32_t escaped;        /* inside a string, after a backslash */
} cjf_state;

enum {
  CJF_NEED_MORE = 0, /* `end` reached, the message still open: *stop == end */
  CJF_CLOSED = 1,    /* the message closed: *stop is the index after its last byte */
  CJF_TOO_DEEP = 2,  /* a bracket would open past max_depth: *stop is its index */
  CJF_UNBALANCED = 3 /* a `]` closing a `{` or a `}` closing a `[`: *stop is its index */
};

/* Scans buffer[from, end) of a message already open (state->depth > 0); max_depth ≤ 64. */
int cjf_scan(cjf_state *state, const uint8_t *buffer, size_t from, size_t end, int64_t max_depth, size_t *stop);

#endif

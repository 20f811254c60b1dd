/*
 * pure.h
 *	  Shared vocabulary of the server-independent modules: memory, errors and
 *	  a growable string buffer.
 *
 * The modules that parse and encode user input (json, dates, payload, fields,
 * search, encode, discover_sql, issues_sql) never include postgres.h, so
 * that cmocka and libFuzzer can drive them without a server.  They allocate
 * through de_alloc(),
 * which the extension maps onto palloc (src/pure_mem_pg.c) and the unit tests
 * onto malloc (test/unit/pure_mem_libc.c), and they report user errors by
 * filling a DeError rather than by longjmp, so every caller decides how an
 * error surfaces.
 */
#ifndef DATAEXPORT_PURE_H
#define DATAEXPORT_PURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- memory (implemented per host) ---- */
extern void *de_alloc(size_t size);		/* zero-filled; never returns NULL */
extern void *de_realloc(void *ptr, size_t size);
extern void de_free(void *ptr);			/* accepts NULL */
extern char *de_strdup(const char *s);
extern char *de_strndup(const char *s, size_t n);

/* Called in every loop whose length the user chooses: CHECK_FOR_INTERRUPTS()
 * in the server (src/pure_mem_pg.c, so a long payload can be cancelled and
 * cannot outlive statement_timeout), nothing in the unit tests and fuzzers. */
extern void de_check_interrupts(void);

/* ---- errors ---- */
typedef enum DeErrorCode
{
	DE_OK = 0,
	DE_ERR_INVALID,				/* SQLSTATE 22023 invalid_parameter_value */
	DE_ERR_PERMISSION,			/* SQLSTATE 42501 insufficient_privilege */
	DE_ERR_UNSUPPORTED			/* SQLSTATE 0A000 feature_not_supported */
} DeErrorCode;

#define DE_ERROR_MSG_LEN 512

typedef struct DeError
{
	DeErrorCode code;
	char		message[DE_ERROR_MSG_LEN];	/* user-facing, exact text */
	char		detail[DE_ERROR_MSG_LEN];	/* optional, "" when none */
	const char *hint;			/* optional static text, NULL when none */
} DeError;

/* Sets code and printf-formats message; returns false so callers can
 * "return de_error(err, ...)". err may be NULL. */
extern bool de_error(DeError *err, DeErrorCode code, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

/* The length of at most max bytes of s[0..len), cut at a UTF-8 character
 * boundary, for quoting user text in messages without half a character. */
extern size_t de_clip_utf8(const char *s, size_t len, size_t max);

/* True iff s[0..len) is -?digits[.digits]: a literal that both
 * PostgreSQL's numeric input and JSON accept. */
extern bool de_is_decimal(const char *s, size_t len);

/* ---- string buffer ---- */
typedef struct StrBuf
{
	char	   *data;			/* always NUL-terminated */
	size_t		len;
	size_t		cap;
} StrBuf;

extern void sb_init(StrBuf *sb);
extern void sb_reset(StrBuf *sb);	/* len = 0, keeps memory */
extern void sb_free(StrBuf *sb);
extern void sb_append(StrBuf *sb, const char *s);
extern void sb_append_len(StrBuf *sb, const char *s, size_t n);
extern void sb_append_char(StrBuf *sb, char c);
extern void sb_appendf(StrBuf *sb, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
/* Hands the buffer's memory to the caller (de_free it) and empties sb. */
extern char *sb_steal(StrBuf *sb);

#endif

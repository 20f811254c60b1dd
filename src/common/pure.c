/*
 * pure.c
 *	  Error and string-buffer helpers of the server-independent modules.
 */
#include "pure.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool
de_error(DeError *err, DeErrorCode code, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return false;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	err->detail[0] = '\0';
	err->hint = NULL;
	return false;
}

size_t
de_clip_utf8(const char *s, size_t len, size_t max)
{
	size_t		n = len;

	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char) s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

static size_t
digit_run(const char *s, size_t i, size_t len)
{
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

bool
de_is_decimal(const char *s, size_t len)
{
	size_t		i = (len > 0 && s[0] == '-') ? 1 : 0;
	size_t		end = digit_run(s, i, len);

	if (end == i)
		return false;
	if (end < len && s[end] == '.')
	{
		i = end + 1;
		end = digit_run(s, i, len);
		if (end == i)
			return false;
	}
	return end == len;
}

char *
de_strndup(const char *s, size_t n)
{
	char	   *copy = de_alloc(n + 1);

	memcpy(copy, s, n);
	copy[n] = '\0';
	return copy;
}

char *
de_strdup(const char *s)
{
	return de_strndup(s, strlen(s));
}

static void
sb_reserve(StrBuf *sb, size_t extra)
{
	size_t		need = sb->len + extra + 1;

	if (need <= sb->cap)
		return;
	if (sb->cap == 0)
		sb->cap = 64;
	while (sb->cap < need)
		sb->cap *= 2;
	sb->data = de_realloc(sb->data, sb->cap);
}

void
sb_init(StrBuf *sb)
{
	sb->data = NULL;
	sb->len = 0;
	sb->cap = 0;
	sb_reserve(sb, 0);
	sb->data[0] = '\0';
}

void
sb_reset(StrBuf *sb)
{
	sb->len = 0;
	sb->data[0] = '\0';
}

void
sb_free(StrBuf *sb)
{
	de_free(sb->data);
	sb->data = NULL;
	sb->len = sb->cap = 0;
}

void
sb_append_len(StrBuf *sb, const char *s, size_t n)
{
	sb_reserve(sb, n);
	memcpy(sb->data + sb->len, s, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
}

void
sb_append(StrBuf *sb, const char *s)
{
	sb_append_len(sb, s, strlen(s));
}

void
sb_append_char(StrBuf *sb, char c)
{
	sb_append_len(sb, &c, 1);
}

void
sb_appendf(StrBuf *sb, const char *fmt,...)
{
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sb_reserve(sb, (size_t) n);
	va_start(ap, fmt);
	vsnprintf(sb->data + sb->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t) n;
}

char *
sb_steal(StrBuf *sb)
{
	char	   *data = sb->data;

	sb->data = NULL;
	sb->len = sb->cap = 0;
	return data;
}

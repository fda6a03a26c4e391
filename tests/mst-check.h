/* The checks of the plain-C tests that run programs (gst-master): one line
 * per check, "ok    what" or "FAIL  what", counted; the test prints
 * "N checks, N failed" at the end and exits non-zero on any failure.
 * Header only: each test has its own counters. */
#ifndef MST_CHECK_H
#define MST_CHECK_H

#include <glib.h>
#include <stdarg.h>
#include <stdio.h>

static int n_checks, n_failed;

/* Prints and counts one check; returns @cond. */
static gboolean G_GNUC_PRINTF (2, 3) G_GNUC_UNUSED
check (gboolean cond, const char *fmt, ...)
{
  va_list ap;
  char *what;

  va_start (ap, fmt);
  what = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  printf ("%s%s\n", cond ? "ok    " : "FAIL  ", what);
  fflush (stdout);
  g_free (what);
  n_checks++;
  if (!cond)
    n_failed++;
  return cond;
}

#endif

/* gst-master: the output file, nameless until complete. */
#define _GNU_SOURCE             /* O_TMPFILE */
#include "gm-output.h"

#include <glib/gstdio.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Wall-clock second this process started; 0: never removes anything. */
static gint64 start_s;

/* The letters g_mkstemp () puts in place of "XXXXXX". */
static const char name_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
#define PART_SUFFIX ".part"
#define N_RANDOM 6

void
gm_output_init (void)
{
  start_s = g_get_real_time () / G_USEC_PER_SEC;
}

/* "DIR/.NAME." with @output's folder and name: a hidden name continues it
 * with six random letters and PART_SUFFIX. */
static char *
hidden_prefix (const char *output)
{
  char *dir = g_path_get_dirname (output);
  char *base = g_path_get_basename (output);
  char *prefix = g_strdup_printf ("%s/.%s.", dir, base);
  g_free (dir);
  g_free (base);
  return prefix;
}

static char *
cannot_write (const char *output, int err)
{
  return g_strdup_printf ("cannot write %s: %s", output, g_strerror (err));
}

gboolean
gm_output_open (GmOutput * o, const char *output, char **errmsg)
{
  o->fd = -1;
  o->read_path = o->hidden = NULL;
  gm_output_remove_stale (output);
#ifdef O_TMPFILE
  /* GST_MASTER_NAMED_PARTS: as where O_TMPFILE is not supported (tests). */
  if (!g_getenv ("GST_MASTER_NAMED_PARTS")) {
    char *dir = g_path_get_dirname (output);
    o->fd = open (dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
    g_free (dir);
    if (o->fd >= 0) {
      /* Read (pass 3) and linked (commit) through /proc: without it, the
       * hidden name. */
      o->read_path = g_strdup_printf ("/proc/self/fd/%d", o->fd);
      if (access (o->read_path, R_OK) != 0) {
        close (o->fd);
        o->fd = -1;
        g_clear_pointer (&o->read_path, g_free);
      }
    }
    /* Any failure (EOPNOTSUPP, EISDIR on an old kernel, a folder that
     * cannot be written): the hidden name says what is wrong, if it is. */
  }
#endif
  if (o->fd < 0) {
    char *prefix = hidden_prefix (output);
    o->hidden = g_strconcat (prefix, "XXXXXX" PART_SUFFIX, NULL);
    g_free (prefix);
    o->fd = g_mkstemp_full (o->hidden, O_RDWR | O_CLOEXEC, 0644);
    if (o->fd < 0) {
      *errmsg = cannot_write (output, errno);
      g_clear_pointer (&o->hidden, g_free);
      return FALSE;
    }
    o->read_path = g_strdup (o->hidden);
  }
  /* Tells gm_output_remove_stale () of another run that it is being
   * written (a filesystem without locks: the age alone). */
  (void) flock (o->fd, LOCK_EX | LOCK_NB);
  return TRUE;
}

gboolean
gm_output_rewind (GmOutput * o, char **errmsg)
{
  if (ftruncate (o->fd, 0) != 0 || lseek (o->fd, 0, SEEK_SET) != 0) {
    *errmsg = g_strdup_printf ("cannot rewrite %s: %s", o->read_path,
        g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

static void
output_close (GmOutput * o)
{
  if (o->fd >= 0)
    close (o->fd);
  o->fd = -1;
  g_clear_pointer (&o->read_path, g_free);
  g_clear_pointer (&o->hidden, g_free);
}

/* Links the nameless file to @name; errno set on failure. */
static gboolean
link_to (GmOutput * o, const char *name)
{
  return linkat (AT_FDCWD, o->read_path, AT_FDCWD, name,
      AT_SYMLINK_FOLLOW) == 0;
}

/* Links the nameless file over an @output already there (link fails with
 * EEXIST, no link replaces a name): to a hidden name first, then renamed
 * over it, one step for a reader. 0 or an errno. */
static int
link_over (GmOutput * o, const char *output)
{
  char *prefix = hidden_prefix (output);
  int err = EEXIST;

  for (int attempt = 0; err == EEXIST && attempt < 100; attempt++) {
    char random[N_RANDOM + 1], *name;
    for (int i = 0; i < N_RANDOM; i++)
      random[i] = name_chars[g_random_int_range (0, sizeof name_chars - 1)];
    random[N_RANDOM] = '\0';
    name = g_strconcat (prefix, random, PART_SUFFIX, NULL);
    if (!link_to (o, name)) {
      err = errno;
    } else {
      err = g_rename (name, output) == 0 ? 0 : errno;
      if (err)
        g_unlink (name);
    }
    g_free (name);
  }
  g_free (prefix);
  return err;
}

gboolean
gm_output_commit (GmOutput * o, const char *output, char **errmsg)
{
  int err = 0;

  /* On disk before it has a name: after a crash the name never points at
   * a file whose data was still in memory. */
  if (fsync (o->fd) != 0 && errno != EINVAL && errno != EROFS)
    err = errno;
  else if (o->hidden)
    err = g_rename (o->hidden, output) == 0 ? 0 : errno;
  else if (!link_to (o, output))
    err = errno == EEXIST ? link_over (o, output) : errno;
  if (err) {
    *errmsg = cannot_write (output, err);
    gm_output_discard (o);
    return FALSE;
  }
  output_close (o);
  return TRUE;
}

void
gm_output_discard (GmOutput * o)
{
  if (o->hidden)
    g_unlink (o->hidden);
  output_close (o);
}

/* Whether @name is "." @base "." six of name_chars PART_SUFFIX. */
static gboolean
is_hidden_name (const char *name, const char *base)
{
  size_t nb = strlen (base);

  if (name[0] != '.' || strncmp (name + 1, base, nb) != 0
      || name[1 + nb] != '.')
    return FALSE;
  name += 2 + nb;
  for (int i = 0; i < N_RANDOM; i++)
    if (!name[i] || !strchr (name_chars, name[i]))
      return FALSE;
  return strcmp (name + N_RANDOM, PART_SUFFIX) == 0;
}

int
gm_output_remove_stale (const char *output)
{
  char *dir = g_path_get_dirname (output);
  char *base = g_path_get_basename (output);
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;
  int n_removed = 0;

  while (d && (name = g_dir_read_name (d))) {
    char *p;
    struct stat st, now;
    int fd;

    if (!is_hidden_name (name, base))
      continue;
    p = g_build_filename (dir, name, NULL);
    if (lstat (p, &st) == 0 && S_ISREG (st.st_mode) && st.st_uid == geteuid ()
        && st.st_mtime < start_s
        && (fd = open (p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
      /* Unlocked: its writer is gone. Still the file examined. */
      if (flock (fd, LOCK_EX | LOCK_NB) == 0 && fstat (fd, &now) == 0
          && now.st_dev == st.st_dev && now.st_ino == st.st_ino
          && g_unlink (p) == 0)
        n_removed++;
      close (fd);
    }
    g_free (p);
  }
  if (d)
    g_dir_close (d);
  g_free (dir);
  g_free (base);
  return n_removed;
}

/* gst-master: jobs and their series. */
#include "gm-job.h"

void
gm_series_init (GmSeries * s)
{
  s->t_s = g_array_new (FALSE, FALSE, sizeof (double));
  s->v = g_array_new (FALSE, FALSE, sizeof (double));
}

void
gm_series_clear (GmSeries * s)
{
  if (s->t_s)
    g_array_set_size (s->t_s, 0);
  if (s->v)
    g_array_set_size (s->v, 0);
}

void
gm_series_add (GmSeries * s, double t_s, double v)
{
  g_array_append_val (s->t_s, t_s);
  g_array_append_val (s->v, v);
}

void
gm_job_init (GmJob * job, const char *input)
{
  job->input = input;
  job->notes = g_ptr_array_new_with_free_func (g_free);
  gm_series_init (&job->st_before);
  gm_series_init (&job->st_after);
  gm_series_init (&job->gr);
  gm_series_init (&job->tp_after);
  job->gain_db = 0.0;
}

void
gm_job_note (GmJob * job, GmStatus s, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_ptr_array_add (job->notes, g_strdup_vprintf (fmt, ap));
  va_end (ap);
  if (s > job->status)
    job->status = s;
}

const char *
gm_job_limit_name (const GmJob * job)
{
  if (job->status == GM_STATUS_ERROR)
    return NULL;
  return job->limit == GM_LIMIT_MAX_GAIN ? "max-gain"
      : job->limit == GM_LIMIT_MAX_LIMITING ? "max-limiting" : NULL;
}

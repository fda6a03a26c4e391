/* gst-master --report: one PNG with three panels over time: short-term
 * loudness before and after (with the target), the limiter's gain
 * reduction, and the written file's true peak per 100 ms (with the
 * ceiling). Drawn with cairo. */
#include "gm-report.h"

#include <math.h>

#include "gm-report-axis.h"

#ifdef HAVE_CAIRO
#include <cairo.h>

#define W 1200
#define PANEL_H 220
#define MARGIN_L 70
#define MARGIN_R 20
#define MARGIN_T 62
#define GAP 40

typedef struct {
  double x0, y0, w, h;          /* pixels */
  double t_max;                 /* s */
  double v_min, v_max;
} Panel;

static double
px (const Panel * p, double t)
{
  return p->x0 + p->w * (p->t_max > 0 ? t / p->t_max : 0);
}

static double
py (const Panel * p, double v)
{
  v = fmax (p->v_min, fmin (p->v_max, v));
  return p->y0 + p->h * (p->v_max - v) / (p->v_max - p->v_min);
}

static void
frame (cairo_t * cr, const Panel * p, const char *label, double step)
{
  char buf[64];

  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_rectangle (cr, p->x0, p->y0, p->w, p->h);
  cairo_fill (cr);
  cairo_set_line_width (cr, 1);
  cairo_set_font_size (cr, 11);
  for (double v = ceil (p->v_min / step) * step; v <= p->v_max + 1e-9;
      v += step) {
    cairo_set_source_rgb (cr, 0.88, 0.88, 0.88);
    cairo_move_to (cr, p->x0, py (p, v) + 0.5);
    cairo_line_to (cr, p->x0 + p->w, py (p, v) + 0.5);
    cairo_stroke (cr);
    cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
    g_snprintf (buf, sizeof buf, "%g", v + 0.0);       /* not "-0" */
    cairo_move_to (cr, p->x0 - 40, py (p, v) + 4);
    cairo_show_text (cr, buf);
  }
  double tstep = p->t_max > 600 ? 60 : p->t_max > 120 ? 30 : p->t_max > 30
      ? 10 : p->t_max > 5 ? 1 : 0.5;
  for (double t = 0; t <= p->t_max + 1e-9; t += tstep) {
    cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
    g_snprintf (buf, sizeof buf, "%g s", t);
    cairo_move_to (cr, px (p, t) - 8, p->y0 + p->h + 14);
    cairo_show_text (cr, buf);
  }
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_set_font_size (cr, 13);
  cairo_move_to (cr, p->x0, p->y0 - 8);
  cairo_show_text (cr, label);
  cairo_rectangle (cr, p->x0 + 0.5, p->y0 + 0.5, p->w, p->h);
  cairo_stroke (cr);
}

static void
set_rgb (cairo_t * cr, unsigned rgb)
{
  cairo_set_source_rgb (cr, (rgb >> 16) / 255.0, (rgb >> 8 & 0xff) / 255.0,
      (rgb & 0xff) / 255.0);
}

static double
series_max (const GmSeries * s, double floor_v)
{
  double m = floor_v;
  for (guint i = 0; s && s->v && i < s->v->len; i++)
    m = fmax (m, g_array_index (s->v, double, i));
  return m;
}

/* The line of @s, with round joins and clipped at the height of its
 * largest value: a line 1.5 px wide would otherwise reach above the data
 * (by 0.75 px, by up to ten times that at a sharp peak with cairo's
 * default mitre joins), and a true peak under the ceiling would look over
 * it. */
static void
curve (cairo_t * cr, const Panel * p, const GmSeries * s, unsigned rgb)
{
  gboolean pen = FALSE;
  double top;
  if (!s || !s->t_s || !s->t_s->len)
    return;
  top = py (p, series_max (s, -INFINITY));
  cairo_save (cr);
  cairo_rectangle (cr, p->x0, top, p->w, p->y0 + p->h + 2 - top);
  cairo_clip (cr);
  set_rgb (cr, rgb);
  cairo_set_line_width (cr, 1.5);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  for (guint i = 0; i < s->t_s->len; i++) {
    double t = g_array_index (s->t_s, double, i);
    double v = g_array_index (s->v, double, i);
    /* Under the gate: not a loudness or a peak to draw (silence, dither). */
    if (!isfinite (v) || v < GM_REPORT_AXIS_FLOOR) {
      pen = FALSE;
      continue;
    }
    if (pen)
      cairo_line_to (cr, px (p, t), py (p, v));
    else
      cairo_move_to (cr, px (p, t), py (p, v));
    pen = TRUE;
  }
  cairo_stroke (cr);
  cairo_restore (cr);
}

/* A dashed line across the panel at @v, one pixel high on the row that
 * holds @v: crisp, in its colour exactly. */
static void
hline (cairo_t * cr, const Panel * p, double v, unsigned rgb)
{
  double dash[] = { 6, 4 };
  if (!isfinite (v))
    return;
  cairo_save (cr);
  cairo_set_dash (cr, dash, 2, 0);
  set_rgb (cr, rgb);
  cairo_set_line_width (cr, 1.0);
  cairo_move_to (cr, p->x0, floor (py (p, v)) + 0.5);
  cairo_line_to (cr, p->x0 + p->w, floor (py (p, v)) + 0.5);
  cairo_stroke (cr);
  cairo_restore (cr);
}

/* A legend entry at (@x, @y): a swatch of the line (dashed for a level
 * line) and its name; the x where the next one can go. */
static double
legend (cairo_t * cr, double x, double y, const char *text, unsigned rgb,
    gboolean dashed)
{
  double dash[] = { 4, 3 };
  cairo_text_extents_t ext;

  cairo_save (cr);
  set_rgb (cr, rgb);
  cairo_set_line_width (cr, dashed ? 1.5 : 3.0);
  if (dashed)
    cairo_set_dash (cr, dash, 2, 0);
  cairo_move_to (cr, x, y - 4);
  cairo_line_to (cr, x + 18, y - 4);
  cairo_stroke (cr);
  cairo_restore (cr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_set_font_size (cr, 11);
  cairo_move_to (cr, x + 22, y);
  cairo_show_text (cr, text);
  cairo_text_extents (cr, text, &ext);
  return x + 22 + ext.x_advance + 16;
}

/* The values of @s and @t, for an axis. */
static GArray *
values_of (const GmSeries * s, const GmSeries * t)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (double));
  if (s && s->v)
    g_array_append_vals (a, s->v->data, s->v->len);
  if (t && t->v)
    g_array_append_vals (a, t->v->data, t->v->len);
  return a;
}

static char *
figure (double v, const char *fmt)
{
  return isfinite (v) ? g_strdup_printf (fmt, v) : g_strdup ("-");
}

static double
series_last_t (const GmSeries * s)
{
  return s && s->t_s && s->t_s->len ?
      g_array_index (s->t_s, double, s->t_s->len - 1) : 0.0;
}

gboolean
gm_report_write_png (const char *path, const GmReport * r, GError ** err)
{
  const int h = MARGIN_T + 3 * PANEL_H + 2 * GAP + 40;
  cairo_surface_t *surf = cairo_image_surface_create (CAIRO_FORMAT_RGB24, W,
      h);
  cairo_t *cr = cairo_create (surf);
  cairo_status_t st;
  double t_max = fmax (series_last_t (r->short_term_before),
      series_last_t (r->short_term_after));
  char title[512];

  t_max = fmax (t_max, series_last_t (r->gain_reduction));
  if (t_max <= 0)
    t_max = 1;
  cairo_set_source_rgb (cr, 0.96, 0.96, 0.96);
  cairo_paint (cr);
  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
      CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size (cr, 15);
  cairo_set_source_rgb (cr, 0, 0, 0);
  g_snprintf (title, sizeof title, "gst-master: %s", r->title);
  cairo_move_to (cr, MARGIN_L, 22);
  cairo_show_text (cr, title);
  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
      CAIRO_FONT_WEIGHT_NORMAL);
  {
    char *bi = figure (r->before_lufs, "%.1f"), *ai = figure (r->after_lufs,
        "%.1f"), *tg = figure (r->target_lufs, " (target %.1f)");
    char *gn = figure (r->gain_db, "%+.2f"), *lm = figure (r->limiting_max_db,
        "%.2f"), *tp = figure (r->true_peak_after_dbtp, "%.2f");
    char *text = g_strdup_printf ("Integrated %s -> %s LUFS%s    gain %s dB"
        "    largest limiting %s dB    true peak after %s dBTP (ceiling "
        "%.1f)", bi, ai, isfinite (r->target_lufs) ? tg : "", gn, lm, tp,
        r->ceiling_dbtp);
    cairo_set_font_size (cr, 13);
    cairo_move_to (cr, MARGIN_L, 44);
    cairo_show_text (cr, text);
    g_free (text);
    g_free (bi);
    g_free (ai);
    g_free (tg);
    g_free (gn);
    g_free (lm);
    g_free (tp);
  }

  /* Loudness: from the quietest short-term value (above the gate) to the
   * loudest and the target, at least 30 LU in steps of 10. */
  Panel p1 = { MARGIN_L, MARGIN_T + 20, W - MARGIN_L - MARGIN_R, PANEL_H - 20,
    t_max, 0, 0
  };
  GArray *v = values_of (r->short_term_before, r->short_term_after);
  gm_report_axis_range ((double *) v->data, v->len, &r->target_lufs, 1, 10.0,
      30.0, GM_REPORT_AXIS_FLOOR, &p1.v_min, &p1.v_max);
  g_array_free (v, TRUE);
  frame (cr, &p1, "Short-term loudness (LUFS)",
      p1.v_max - p1.v_min > 40 ? 10 : 5);
  hline (cr, &p1, r->target_lufs, GM_REPORT_TARGET_RGB);
  curve (cr, &p1, r->short_term_before, GM_REPORT_BEFORE_RGB);
  curve (cr, &p1, r->short_term_after, GM_REPORT_AFTER_RGB);
  double x = W - 330;
  x = legend (cr, x, MARGIN_T + 10, "before", GM_REPORT_BEFORE_RGB, FALSE);
  x = legend (cr, x, MARGIN_T + 10, "after", GM_REPORT_AFTER_RGB, FALSE);
  if (isfinite (r->target_lufs))
    legend (cr, x, MARGIN_T + 10, "target", GM_REPORT_TARGET_RGB, TRUE);

  double gr_max = fmax (1.0, ceil (series_max (r->gain_reduction, 0.0)));
  Panel p2 = { MARGIN_L, p1.y0 + p1.h + GAP, p1.w, PANEL_H - 20, t_max,
    -gr_max, 0
  };
  frame (cr, &p2, "Limiter gain reduction (dB, largest per 100 ms)",
      gr_max > 6 ? 2 : gr_max > 2 ? 1 : 0.5);
  if (r->gain_reduction && r->gain_reduction->t_s) {
    GmSeries neg;
    gm_series_init (&neg);
    for (guint i = 0; i < r->gain_reduction->t_s->len; i++)
      gm_series_add (&neg, g_array_index (r->gain_reduction->t_s, double, i),
          -g_array_index (r->gain_reduction->v, double, i));
    curve (cr, &p2, &neg, GM_REPORT_REDUCTION_RGB);
    g_array_free (neg.t_s, TRUE);
    g_array_free (neg.v, TRUE);
  }

  /* True peak: the quietest interval to the loudest and 3 dB above the
   * ceiling (room to see it under the top), at least 24 dB in steps of
   * 6. */
  Panel p3 = { MARGIN_L, p2.y0 + p2.h + GAP, p1.w, PANEL_H - 20, t_max,
    0, 0
  };
  double room = r->ceiling_dbtp + 3.0;
  v = values_of (r->true_peak_after, NULL);
  gm_report_axis_range ((double *) v->data, v->len, &room, 1, 6.0, 24.0,
      GM_REPORT_AXIS_FLOOR, &p3.v_min, &p3.v_max);
  g_array_free (v, TRUE);
  frame (cr, &p3, "True peak of the written file (dBTP per 100 ms)", 6);
  hline (cr, &p3, r->ceiling_dbtp, GM_REPORT_CEILING_RGB);
  curve (cr, &p3, r->true_peak_after, GM_REPORT_TRUE_PEAK_RGB);
  x = legend (cr, W - 330, p3.y0 - 10, "true peak", GM_REPORT_TRUE_PEAK_RGB,
      FALSE);
  legend (cr, x, p3.y0 - 10, "ceiling", GM_REPORT_CEILING_RGB, TRUE);

  cairo_destroy (cr);
  st = cairo_surface_write_to_png (surf, path);
  cairo_surface_destroy (surf);
  if (st != CAIRO_STATUS_SUCCESS) {
    g_set_error (err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s",
        cairo_status_to_string (st));
    return FALSE;
  }
  return TRUE;
}

#else

gboolean
gm_report_write_png (const char *path, const GmReport * r, GError ** err)
{
  (void) path;
  (void) r;
  g_set_error (err, G_FILE_ERROR, G_FILE_ERROR_FAILED,
      "built without cairo (install libcairo2-dev and rebuild)");
  return FALSE;
}

#endif

void
gm_report_job_png (GmJob * job)
{
  /* No loudness target line for a silent input: it got no gain. */
  GmReport rep = {
    job->input, isfinite (job->target_lufs)
        && isfinite (job->before.integrated_lufs) ? job->target_lufs : NAN,
    job->ceiling_dbtp, &job->st_before, &job->st_after, &job->gr,
    &job->tp_after, job->before.integrated_lufs, job->after.integrated_lufs,
    job->gain_db, job->limiter_max_db, job->after.true_peak_dbtp
  };
  GError *err = NULL;

  if (!gm_report_write_png (job->report_path, &rep, &err)) {
    gm_job_note (job, GM_STATUS_WARNING, "cannot write the report %s: %s",
        job->report_path, err->message);
    g_clear_error (&err);
  }
}
